// A PostgreSQL store's location as a data directory's config.json names it, and how a message names
// it: the URL may carry a password, which no output, log line or error may show.
import { z } from "zod";

/** The schema the store's tables live in when `arbiter init --store` is given none. */
export const DEFAULT_PG_SCHEMA = "arbiter";

function parsesAsUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * An unquoted PostgreSQL identifier, so that the schema is named the same in psql as here; pg_ names
 * are the server's own (CREATE SCHEMA refuses them), and 63 bytes is the longest name it keeps.
 */
const PLAIN_IDENTIFIER = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

/** config.json's `store`. Messages never quote the URL: it may hold a password. */
export const postgresStoreSetting = z
  .object({
    engine: z.literal("postgres"),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .refine(parsesAsUrl, "is not a readable URL"),
    schema: z.string().regex(PLAIN_IDENTIFIER, "must be a plain lower-case identifier (letters, digits, _; not pg_…; at most 63)"),
  })
  .strict();

export type PostgresStoreSetting = z.infer<typeof postgresStoreSetting>;

const REDACTED = "***";

/**
 * `url` with its password (in the user part or a password= parameter) replaced by ***, for every
 * message that names a store: postgres://user:***@host/db.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL a message could show as one: keep only its scheme, which cannot be a secret.
    return `${/^[a-z]+:\/\//i.exec(url)?.[0] ?? ""}${REDACTED}`;
  }
  if (parsed.password !== "") parsed.password = REDACTED;
  for (const key of [...parsed.searchParams.keys()]) if (key.toLowerCase() === "password") parsed.searchParams.set(key, REDACTED);
  return parsed.href;
}

/** The passwords `url` carries, as written and decoded. */
function passwordsOf(url: string): string[] {
  try {
    const parsed = new URL(url);
    const found = [parsed.password, ...[...parsed.searchParams].filter(([k]) => k.toLowerCase() === "password").map(([, v]) => v)].filter((p) => p !== "");
    return [...new Set(found.flatMap((p) => [p, safeDecode(p), encodeURIComponent(p)]))].sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `message` (a driver's text, not ours) with `url` redacted and its password, wherever it appears alone, replaced by ***. */
export function scrubPassword(message: string, url: string): string {
  let out = message.split(url).join(redactUrl(url));
  for (const password of passwordsOf(url)) out = out.split(password).join(REDACTED);
  return out;
}
