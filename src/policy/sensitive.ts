// Which attributes the schema marks `@sensitive`: policy reads their values, a decision record holds only a commitment.
import { IDENTITY_ATTRIBUTES_TYPE } from "./builtin-schema.js";
import { resolveRecord, type SchemaJsonForm } from "./schema.js";

export const SENSITIVE_ANNOTATION = "sensitive";

export interface SensitiveAttributes {
  /** Attribute names of an entity type (a resource's attributes). */
  entity(type: string): ReadonlySet<string>;
  /** Context names of an action. */
  context(action: string): ReadonlySet<string>;
  /** Names in the identities' free-form attributes (the common type IdentityAttributes). */
  readonly identity: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

function marked(attributes: Record<string, unknown> | undefined): ReadonlySet<string> {
  const names = Object.entries(attributes ?? {})
    .filter(([, type]) => typeof type === "object" && type !== null && SENSITIVE_ANNOTATION in ((type as { annotations?: object }).annotations ?? {}))
    .map(([name]) => name);
  return names.length ? new Set(names) : NONE;
}

/** Read once per policy set from the user's schema (annotations survive Cedar's JSON form). */
export function sensitiveAttributes(schema: SchemaJsonForm): SensitiveAttributes {
  const ns = schema[""];
  const entities = new Map<string, ReadonlySet<string>>();
  const contexts = new Map<string, ReadonlySet<string>>();
  if (!ns) return { entity: () => NONE, context: () => NONE, identity: NONE };
  for (const [name, entity] of Object.entries(ns.entityTypes)) {
    const shape = "shape" in entity ? entity.shape : undefined;
    const names = marked(resolveRecord(shape, ns)?.attributes);
    if (names.size) entities.set(name, names);
  }
  for (const [name, action] of Object.entries(ns.actions)) {
    const names = marked(resolveRecord(action.appliesTo?.context, ns)?.attributes);
    if (names.size) contexts.set(name, names);
  }
  const identityType = ns.commonTypes?.[IDENTITY_ATTRIBUTES_TYPE];
  return {
    entity: (type) => entities.get(type) ?? NONE,
    context: (action) => contexts.get(action) ?? NONE,
    identity: identityType ? marked(resolveRecord(identityType, ns)?.attributes) : NONE,
  };
}
