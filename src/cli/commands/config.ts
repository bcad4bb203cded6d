// `arbiter config show|template`: the effective settings and where each came from, and a commented starting file.
import { Command } from "commander";
import { catalog, describeSource, formatSetting, settingsTemplate, SETTINGS_FILE, type SettingKey } from "../../runtime/settings/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { allSettingKeys, settingsFor, withSettingFlags } from "../settings-flags.js";
import { human } from "../../record/index.js";

function valueAt(settings: object, key: SettingKey): unknown {
  const [section, name] = key.split(".") as [string, string];
  return (settings as Record<string, Record<string, unknown>>)[section]?.[name];
}

function showCommand(): Command {
  return withSettingFlags(withJson(withData(new Command("show"))), allSettingKeys())
    .description(`every setting's effective value and where it came from (flag, env, ${SETTINGS_FILE} in the data directory, or default); takes the same flags as \`serve\``)
    .action(
      action((options: DataOption & JsonOption) => {
        const dir = dataDir(options);
        const { settings, sources } = settingsFor(dir, options, allSettingKeys());
        const rows = catalog().map(({ key, setting }) => ({
          key,
          value: setting.kind.secret ? formatSetting(key, valueAt(settings, key)) : valueAt(settings, key),
          shown: formatSetting(key, valueAt(settings, key)),
          ...sources[key],
          ...(setting.env !== undefined ? { env_var: setting.env } : {}),
          ...(setting.flag !== undefined ? { flag_name: setting.flag.split(" ")[0] } : {}),
        }));
        if (options.json) {
          printJson({ data: dir, settings: rows.map(({ shown: _shown, ...row }) => row) });
          return;
        }
        const width = Math.max(...rows.map((r) => r.key.length));
        const valueWidth = Math.max(...rows.map((r) => r.shown.length));
        for (const row of rows) process.stdout.write(human`${row.key.padEnd(width)}  ${row.shown.padEnd(valueWidth)}  (${describeSource(sources[row.key])})\n`);
      }),
    );
}

function templateCommand(): Command {
  return new Command("template")
    .description(`print a ${SETTINGS_FILE} with every setting commented out at its default (arbiter config template > .arbiter/${SETTINGS_FILE})`)
    .action(action(() => void process.stdout.write(settingsTemplate())));
}

export function configCommand(): Command {
  return new Command("config")
    .description(`the settings of \`serve\` and the gateways: flags, environment variables and ${SETTINGS_FILE} in the data directory`)
    .addCommand(showCommand())
    .addCommand(templateCommand());
}
