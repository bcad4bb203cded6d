// One setting: its kind, default, documentation, and where else it may be given (environment, flag).
import type { Kind } from "./kinds.js";

export interface Setting<T> {
  kind: Kind<T>;
  default: T;
  /** One sentence for `arbiter config show`, the template and docs/settings.md. */
  doc: string;
  /** The environment variable that sets it, where a deployment would want one. */
  env?: string;
  /** The command-line flag that sets it, as commander spells it (`--port <port>`), on the commands that use the setting. */
  flag?: string;
}

export function setting<T>(kind: Kind<T>, spec: Omit<Setting<NoInfer<T>>, "kind">): Setting<T> {
  return { kind, ...spec };
}

/** What every setting has, whatever its value type: the constraint of a section's settings. */
export interface AnySetting {
  kind: { allowed: string };
  doc: string;
  env?: string;
  flag?: string;
}

/** Keeps each setting's value type while checking the shape. */
export function section<const S extends Record<string, AnySetting>>(doc: string, settings: S): { doc: string; settings: S } {
  return { doc, settings };
}
