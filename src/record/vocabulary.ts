// The closed vocabularies every record speaks: outcomes, controls and identity types.
import { z } from "zod";

/** What the enforcement point does. `error` means no decision could be made and is enforced as deny. */
export const outcomeSchema = z.enum(["allow", "deny", "challenge", "error"]);
export type Outcome = z.infer<typeof outcomeSchema>;
export const OUTCOMES = outcomeSchema.options;

/** Which control produced the outcome (docs/reason-codes.md maps reason codes onto these). */
export const controlSchema = z.enum([
  "access",
  "approval",
  "step_up",
  "masking",
  "rate_limit",
  "usage",
  "break_glass",
  "lifecycle",
]);
export type Control = z.infer<typeof controlSchema>;
export const CONTROLS = controlSchema.options;

/** Kinds of identity Arbiter knows. `unknown` exists only for imported records whose source did not say. */
export const identityTypeSchema = z.enum([
  "agent",
  "service_account",
  "api_key",
  "workload",
  "pipeline",
  "human",
]);
export const importedIdentityTypeSchema = z.enum([...identityTypeSchema.options, "unknown"]);
export type IdentityType = z.infer<typeof importedIdentityTypeSchema>;
export const IDENTITY_TYPES = importedIdentityTypeSchema.options;
