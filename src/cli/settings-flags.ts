// The flags that set settings (`--port`, `--host`, …), added to the commands that use them from the one catalog.
import { Option, type Command } from "commander";
import { catalog, formatSetting, loadSettings, type LoadedSettings, type SettingKey } from "../runtime/settings/index.js";

function optionOf(key: SettingKey): Option | undefined {
  const entry = catalog().find((e) => e.key === key);
  if (entry?.setting.flag === undefined) return undefined;
  const also = entry.setting.env !== undefined ? `$${entry.setting.env}, ` : "";
  // No commander default: a flag that was not given must leave the environment, the file and the default their turn.
  return new Option(entry.setting.flag, `${entry.setting.doc.replace(/\.$/, "").split(". ")[0] ?? ""} (default ${formatSetting(key, entry.setting.default)}; also ${also}${key} in settings.yaml)`);
}

/** Adds the flag of each setting that has one. */
export function withSettingFlags(command: Command, keys: readonly SettingKey[]): Command {
  for (const key of keys) {
    const option = optionOf(key);
    if (option !== undefined) command.addOption(option);
  }
  return command;
}

/** The effective settings for a command: its flags, the environment, then the data directory's file. */
export function settingsFor(dir: string | undefined, options: object, keys: readonly SettingKey[]): LoadedSettings {
  const given = options as Record<string, unknown>;
  const flags: Partial<Record<SettingKey, string>> = {};
  for (const key of keys) {
    const option = optionOf(key);
    const value = option !== undefined ? given[option.attributeName()] : undefined;
    if (typeof value === "string") flags[key] = value;
  }
  return loadSettings({ ...(dir !== undefined ? { dir } : {}), env: process.env, flags });
}

export function allSettingKeys(): SettingKey[] {
  return catalog().map((e) => e.key);
}
