// Attributes whose schema lists their allowed values (`@values("a,b,c")`): a request's value is given in the schema's spelling, or refused.
import type { NamespaceDefinition, Type } from "./cedar.js";
import { ArbiterError } from "../record/index.js";
import type { PolicyProblem } from "./problems.js";
import type { CedarEntity } from "./request.js";

/** The schema annotation on an entity attribute that lists the values it may take, comma-separated. */
export const VALUES_ANNOTATION = "values";

/** Entity type → attribute → allowed values, in the schema's spelling. */
export type AllowedValues = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

// Cedar's JSON schema keeps attribute annotations, but its TypeScript types leave them out.
type Annotated = Type<string> & { annotations?: Record<string, string> };

function isString(type: Type<string>, ns: NamespaceDefinition<string>): boolean {
  if (type.type === "String") return true;
  const common = ns.commonTypes?.[type.type];
  return common !== undefined && common.type === "String";
}

/** Reads every `@values` annotation of the entity types' attributes; one on a non-string attribute, or listing nothing, is a problem. */
export function allowedValuesOf(ns: NamespaceDefinition<string>, file: string): { allowed: AllowedValues; problems: PolicyProblem[] } {
  const allowed = new Map<string, Map<string, readonly string[]>>();
  const problems: PolicyProblem[] = [];
  for (const [entityName, entity] of Object.entries(ns.entityTypes)) {
    const shape = "shape" in entity ? (entity.shape as { attributes?: Record<string, Annotated> } | undefined) : undefined;
    for (const [attribute, type] of Object.entries(shape?.attributes ?? {})) {
      const listed = type.annotations?.[VALUES_ANNOTATION];
      if (listed === undefined) continue;
      const values = listed.split(",").map((v) => v.trim()).filter((v) => v !== "");
      const lowered = new Set(values.map((v) => v.toLowerCase()));
      if (!isString(type, ns)) problems.push({ file, message: `${entityName}.${attribute}: @${VALUES_ANNOTATION} applies only to String attributes` });
      else if (values.length === 0) problems.push({ file, message: `${entityName}.${attribute}: @${VALUES_ANNOTATION} lists no value` });
      else if (lowered.size !== values.length) problems.push({ file, message: `${entityName}.${attribute}: @${VALUES_ANNOTATION} lists a value twice (values are compared without case)` });
      else {
        const byType = allowed.get(entityName) ?? new Map<string, readonly string[]>();
        byType.set(attribute, values);
        allowed.set(entityName, byType);
      }
    }
  }
  return { allowed, problems };
}

/**
 * The entities with each attribute the schema lists values for written as the schema writes it
 * (`Production` becomes `production`), so that a rule comparing it to a literal cannot be stepped
 * around by case. A value that is not one of the listed ones, in any case, is refused with
 * REQUEST_INVALID naming them: a rule like `tier != "production"` must never meet "prod".
 */
export function canonicalEntities(entities: readonly CedarEntity[], allowed: AllowedValues): readonly CedarEntity[] {
  if (allowed.size === 0) return entities;
  return entities.map((entity) => {
    const attributes = allowed.get(entity.uid.type);
    if (!attributes) return entity;
    let attrs = entity.attrs;
    for (const [name, values] of attributes) {
      const value = attrs[name];
      if (value === undefined) continue;
      const match = typeof value === "string" ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
      if (match === undefined) {
        throw new ArbiterError("REQUEST_INVALID", `${entity.uid.type} ${JSON.stringify(entity.uid.id)}: attribute ${name} is ${JSON.stringify(value)}, which is not one of ${values.join(", ")}`, { field: `resource.attributes.${name}`, allowed: [...values] });
      }
      if (match !== value) attrs = { ...attrs, [name]: match };
    }
    return attrs === entity.attrs ? entity : { ...entity, attrs };
  });
}
