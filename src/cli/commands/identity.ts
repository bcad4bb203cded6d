// `arbiter identity ...`: identities, their owners, lifecycle and credentials.
import { Command } from "commander";
import type { AssertionScope, CreateIdentityInput, Identity, ListFilter, UpdateIdentityInput } from "../../identity/index.js";
import { action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { identityRow, identityText } from "./identity-format.js";
import { keyCommand, rotateCommand } from "./identity-keys.js";
import { revokeCredentialCommand, transitionCommand } from "./identity-lifecycle.js";
import { actorOf, attributesOf, collect, withActor, withAttributes, withDirectory, type ActorOption, type AttributeOptions } from "./identity-session.js";
import { human } from "../../record/index.js";

interface FieldOptions extends ActorOption, AttributeOptions {
  owner?: string;
  group?: string[];
  role?: string[];
  name?: string;
  reason?: string;
  assertType?: string[];
  assertGroup?: string[];
  assertId?: string[];
  assertAuthentication?: boolean;
  clearAssertionScope?: boolean;
}

/** The scope after the given --assert-* options, each replacing its part of `before`; undefined when none is given. */
function scopeOf(options: FieldOptions, before: AssertionScope | null): AssertionScope | null | undefined {
  if (options.clearAssertionScope === true) return null;
  const { assertType: types, assertGroup: groups, assertId: ids, assertAuthentication: authentication } = options;
  if (types === undefined && groups === undefined && ids === undefined && authentication === undefined) return undefined;
  const base = before ?? { types: [], groups: [], ids: [], authentication: false };
  return { types: (types ?? base.types) as AssertionScope["types"], groups: groups ?? base.groups, ids: ids ?? base.ids, authentication: authentication ?? base.authentication };
}

function withFields(command: Command): Command {
  return withAttributes(
    withActor(command)
      .option("--owner <human>", "the accountable human owner (required for every non-human identity)")
      .option("--group <group>", "a group the identity belongs to (repeatable)", collect)
      .option("--role <role>", "an operator role: admin, approver, auditor or pep (repeatable)", collect)
      .option("--name <text>", "a display name")
      .option("--assert-type <type>", "pep: may name callers of this identity type by subject.id (repeatable)", collect)
      .option("--assert-group <group>", "pep: may name members of this group by subject.id (repeatable)", collect)
      .option("--assert-id <id>", "pep: may name this identity by subject.id (repeatable)", collect)
      .option("--assert-authentication", "pep: may vouch for acr, authenticated_at and user confirmations")
      .option("--no-assert-authentication", "pep: may not vouch for how the caller authenticated"),
  );
}

function createCommand(): Command {
  return withFields(new Command("create"))
    .description("create an active identity; a non-human one needs --owner, an active human identity")
    .requiredOption("--id <id>", "its id: 1 to 128 letters, digits or . _ @ : -")
    .requiredOption("--type <type>", "agent, service_account, api_key, workload, pipeline or human")
    .action(
      action(async (options: FieldOptions & { id: string; type: string }) => {
        const attributes = attributesOf(options);
        const input = {
          id: options.id,
          type: options.type,
          ...(options.owner !== undefined ? { owner: options.owner } : {}),
          ...(options.group !== undefined ? { groups: options.group } : {}),
          ...(options.role !== undefined ? { roles: options.role } : {}),
          ...(attributes !== undefined ? { attributes } : {}),
          ...(options.name !== undefined ? { display_name: options.name } : {}),
        } as CreateIdentityInput;
        const scope = scopeOf(options, null);
        if (scope) input.assertion_scope = scope;
        const identity = await withDirectory(options, (directory) => directory.create(input, actorOf(directory, options)));
        if (options.json) printJson(identity);
        else process.stdout.write(identityText(identity));
      }),
    );
}

function updateCommand(): Command {
  return withFields(new Command("update"))
    .description("change an identity's owner, groups, roles, attributes or name (each given option replaces the stored value)")
    .argument("<id>", "the identity")
    .option("--reason <text>", "why (kept in the ledger when the owner changes)")
    .option("--clear-assertion-scope", "pep: may name no caller by subject.id again (forward credentials only)")
    .action(
      action(async (id: string, options: FieldOptions) => {
        const attributes = attributesOf(options);
        const patch = {
          ...(options.owner !== undefined ? { owner: options.owner } : {}),
          ...(options.group !== undefined ? { groups: options.group } : {}),
          ...(options.role !== undefined ? { roles: options.role } : {}),
          ...(attributes !== undefined ? { attributes } : {}),
          ...(options.name !== undefined ? { display_name: options.name } : {}),
        } as UpdateIdentityInput;
        const identity = await withDirectory(options, (directory) => {
          const scope = scopeOf(options, directory.get(id)?.assertion_scope ?? null);
          return directory.update(id, scope === undefined ? patch : { ...patch, assertion_scope: scope }, actorOf(directory, options), options.reason);
        });
        if (options.json) printJson(identity);
        else process.stdout.write(identityText(identity));
      }),
    );
}

interface ListOptions extends DataOption, JsonOption {
  type?: string;
  status?: string;
  owner?: string;
  group?: string;
}

function listCommand(): Command {
  return withJson(withData(new Command("list")))
    .description("list identities, one line each: id, type, status, owner, groups")
    .option("--type <type>", "only this type")
    .option("--status <status>", "only this status: active, suspended, revoked or offboarded")
    .option("--owner <human>", "only those this human owns")
    .option("--group <group>", "only members of this group")
    .action(
      action(async (options: ListOptions) => {
        const filter = {
          ...(options.type !== undefined ? { type: options.type } : {}),
          ...(options.status !== undefined ? { status: options.status } : {}),
          ...(options.owner !== undefined ? { owner: options.owner } : {}),
          ...(options.group !== undefined ? { group: options.group } : {}),
        } as ListFilter;
        const identities = await withDirectory(options, (directory) => directory.list(filter));
        if (options.json) printJson(identities);
        else for (const identity of identities) process.stdout.write(human`${identityRow(identity)}\n`);
      }),
    );
}

function showCommand(): Command {
  return withJson(withData(new Command("show")))
    .description("one identity with its credentials (ids and states, never secrets)")
    .argument("<id>", "the identity")
    .action(
      action(async (id: string, options: DataOption & JsonOption) => {
        const { identity, credentials } = await withDirectory(options, (directory) => {
          const credentials = directory.credentials(id);
          // credentials() has refused an unknown id, so the identity exists.
          return { identity: directory.get(id) as Identity, credentials };
        });
        if (options.json) printJson({ ...identity, credentials });
        else process.stdout.write(identityText(identity, credentials));
      }),
    );
}

export function identityCommand(): Command {
  return new Command("identity")
    .description("identities, their accountable owners, lifecycle and credentials")
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(updateCommand())
    .addCommand(keyCommand())
    .addCommand(rotateCommand())
    .addCommand(transitionCommand("suspend", "suspend an active identity: its credentials stop working until it is reactivated"))
    .addCommand(transitionCommand("reactivate", "make a suspended identity active again"))
    .addCommand(transitionCommand("revoke", "revoke an identity and every credential it has, for good"))
    .addCommand(transitionCommand("offboard", "offboard an identity (terminal; kept for the audit trail); a human must first hand over what they own"))
    .addCommand(revokeCredentialCommand());
}
