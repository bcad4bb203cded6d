// A settings file with every setting commented out at its default: a starting point that documents itself.
import { SECTIONS, catalog } from "./catalog.js";
import { SETTINGS_FILE, flagName } from "./load.js";

function yamlValue(value: unknown, formatted: string): string {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
  if (typeof value === "string" && value !== formatted) return formatted;
  return typeof value === "string" ? JSON.stringify(value) : formatted;
}

export function settingsTemplate(): string {
  const out = [
    `# Arbiter settings (${SETTINGS_FILE} in the data directory). Every setting is optional;`,
    "# a flag wins over an environment variable, which wins over this file, which wins over the default.",
    "# `arbiter config show` prints the effective value of each and where it came from.",
  ];
  const entries = catalog();
  for (const [name, section] of Object.entries(SECTIONS)) {
    out.push("", `# ${section.doc}`, `${name}:`);
    for (const entry of entries.filter((e) => e.section === name)) {
      const also = [entry.setting.env !== undefined ? `$${entry.setting.env}` : undefined, flagName(entry)].filter((w) => w !== undefined);
      out.push(`  # ${entry.setting.doc}`, `  # Allowed: ${entry.setting.kind.allowed}${also.length > 0 ? `; also ${also.join(", ")}` : ""}`);
      out.push(`  # ${entry.name}: ${yamlValue(entry.setting.default, entry.setting.kind.format(entry.setting.default))}`);
    }
  }
  return `${out.join("\n")}\n`;
}
