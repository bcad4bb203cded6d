// Identities and credentials for people: aligned fields, one line per credential, never a secret.
import { escapeControls } from "../../record/index.js";
import type { AssertionScope, CredentialInfo, Identity } from "../../identity/index.js";

function orDash(value: string | null): string {
  return value === null || value === "" ? "-" : value;
}

export function credentialLine(c: CredentialInfo): string {
  const until = c.status === "rotated" ? `valid until ${orDash(c.expires_at)}` : c.expires_at !== null ? `expires ${c.expires_at}` : "";
  const replaced = c.replaced_by !== null ? `replaced by ${c.replaced_by}` : "";
  const revoked = c.revoked_at !== null ? `revoked ${c.revoked_at}` : "";
  return [c.id, c.kind.padEnd(7), c.status.padEnd(7), `issued ${c.created_at}`, until, replaced, revoked].filter((p) => p !== "").join("  ");
}

function scopeText(scope: AssertionScope | null): string {
  if (scope === null) return "- (names no caller by subject.id)";
  const parts = [
    scope.types.length ? `types ${scope.types.join(", ")}` : "",
    scope.groups.length ? `groups ${scope.groups.join(", ")}` : "",
    scope.ids.length ? `ids ${scope.ids.join(", ")}` : "",
  ].filter((p) => p !== "");
  return `${parts.length ? parts.join("; ") : "nobody"}; authentication ${scope.authentication ? "yes" : "no"}`;
}

export function identityText(identity: Identity, credentials?: readonly CredentialInfo[]): string {
  const lines = [
    `id:          ${identity.id}`,
    `type:        ${identity.type}`,
    `status:      ${identity.status}`,
    `owner:       ${orDash(identity.owner)}`,
    `name:        ${orDash(identity.display_name)}`,
    `groups:      ${orDash(identity.groups.join(", "))}`,
    `roles:       ${orDash(identity.roles.join(", "))}`,
    `attributes:  ${Object.keys(identity.attributes).length === 0 ? "-" : JSON.stringify(identity.attributes)}`,
    ...(identity.roles.includes("pep") || identity.assertion_scope !== null ? [`asserts:     ${scopeText(identity.assertion_scope)}`] : []),
    `created:     ${identity.created_at}`,
    `updated:     ${identity.updated_at}`,
  ];
  if (identity.credentials_not_before !== null) lines.push(`rotated:     ${identity.credentials_not_before}`);
  if (credentials !== undefined) {
    lines.push(`credentials: ${credentials.length === 0 ? "-" : ""}`);
    for (const c of credentials) lines.push(`  ${credentialLine(c)}`);
  }
  return `${lines.map((line) => escapeControls(line)).join("\n")}\n`;
}

/** One line per identity: id, type, status, owner, groups. */
export function identityRow(identity: Identity): string {
  return [identity.id.padEnd(24), identity.type.padEnd(15), identity.status.padEnd(10), orDash(identity.owner).padEnd(16), orDash(identity.groups.join(","))].join("  ").trimEnd();
}
