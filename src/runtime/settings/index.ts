// Settings of long-running processes: one catalog, read from flags, environment and the data directory's settings.yaml.
export { catalog, SECTIONS, type CatalogEntry, type SettingKey, type Settings } from "./catalog.js";
export { SETTINGS_FILE, describeSource, flagName, formatSetting, howToSet, loadSettings, type LoadSettingsInput, type LoadedSettings, type SettingSource } from "./load.js";
export { settingsTemplate } from "./template.js";
