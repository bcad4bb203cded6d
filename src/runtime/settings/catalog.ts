// Every setting, by section: the one schema of the settings file, environment variables and flags.
// To add a knob, add a setting to its section (or a new section file listed here) and document it in docs/settings.md.
import type { Setting } from "./setting.js";
import { ledger } from "./sections/ledger.js";
import { limits } from "./sections/limits.js";
import { mcp } from "./sections/mcp.js";
import { notify } from "./sections/notify.js";
import { server } from "./sections/server.js";
import { stream } from "./sections/stream.js";

export const SECTIONS = { server, ledger, mcp, stream, notify, limits };

type Sections = typeof SECTIONS;
type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** The effective settings, each section's values typed by their kinds. */
export type Settings = { [N in keyof Sections]: { [K in keyof Sections[N]["settings"]]: ValueOf<Sections[N]["settings"][K]> } };

/** `section.name`, e.g. `server.port`. */
export type SettingKey = { [N in keyof Sections]: `${N & string}.${keyof Sections[N]["settings"] & string}` }[keyof Sections];

export interface CatalogEntry {
  key: SettingKey;
  section: string;
  name: string;
  setting: Setting<unknown>;
}

/** Every setting in the order of the sections and of their settings. */
export function catalog(): CatalogEntry[] {
  return Object.entries(SECTIONS).flatMap(([section, { settings }]) =>
    Object.entries(settings as Record<string, Setting<unknown>>).map(([name, setting]) => ({ key: `${section}.${name}` as SettingKey, section, name, setting })),
  );
}
