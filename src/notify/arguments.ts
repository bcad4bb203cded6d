// A call's arguments as a webhook may carry them: every detector's find masked, and every value under a credential-like name.
import type { ApprovalOpened } from "../decide/index.js";
import { DETECTOR_NAMES, MaskTally, markerOf, maskJson } from "../enforce/masking/index.js";

/**
 * Argument names whose values are credentials whatever they look like: a password such as
 * "hunter2" is found by no detector, so its name has to give it away.
 */
const CREDENTIAL_NAME = /pass(word|wd|phrase)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|cookie|session|signature/i;

/** Beyond this many bytes of JSON, arguments are left out of a notification (Slack caps a block at 3000 characters). */
export const MAX_ARGUMENT_BYTES = 2048;

/** A copy of `value` with each member under a credential-like name replaced by the secret marker, counted in `tally`. */
function hideCredentials(value: unknown, tally: MaskTally, at: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => hideCredentials(item, tally, `${at}[${i}]`));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const hidden = CREDENTIAL_NAME.test(key);
    if (hidden) tally.add("secret", `${at}.${key}`);
    // defineProperty: an assignment to "__proto__" would set the prototype instead of the member.
    Object.defineProperty(out, key, { value: hidden ? markerOf("secret") : hideCredentials(member, tally, `${at}.${key}`), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export type MaskedArguments = { arguments: unknown; masked: number } | { omitted: string; masked: number };

/** The arguments with credentials masked the way enforcement points mask payloads (`[MASKED:kind]`); ones larger than `limit` bytes omitted with a reason. */
export function maskArguments(opened: Pick<ApprovalOpened, "args">, limit = MAX_ARGUMENT_BYTES): MaskedArguments | undefined {
  if (opened.args === undefined) return undefined;
  const tally = new MaskTally();
  // hideCredentials copies: maskJson masks in place, and the arguments belong to the call being decided.
  const masked = maskJson(hideCredentials(opened.args, tally, "$"), { fields: [], detectors: [...DETECTOR_NAMES] }, tally, "$");
  const text = JSON.stringify(masked);
  const count = tally.total;
  if (Buffer.byteLength(text) > limit) return { omitted: `the arguments are ${Buffer.byteLength(text)} bytes; the console shows them`, masked: count };
  return { arguments: masked, masked: count };
}

/** Free text from the call (a resource id such as `file:///x?token=…`) with every detector's find masked. */
export function maskFreeText(text: string): string {
  return maskJson(text, { fields: [], detectors: [...DETECTOR_NAMES] }, new MaskTally(), "$") as string;
}
