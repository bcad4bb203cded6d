// The record union in its two forms: what callers give (RecordInput) and what the ledger holds (StoredRecord).
import { z } from "zod";
import { jsonObjectSchema } from "./json-value.js";
import { KIND_SHAPES } from "./kinds.js";
import { commitmentsSchema, correlationSchema, recordIdSchema, sensitiveSchema } from "./parts.js";
import { timestampSchema } from "./time.js";

/** The record format version; a leaf with another `v` is not one this code can read. */
export const RECORD_VERSION = 1;

const storedEnvelope = {
  v: z.literal(RECORD_VERSION),
  id: recordIdSchema,
  time: timestampSchema,
  correlation: correlationSchema.optional(),
  /** Field name → salted commitment of a raw value kept outside the leaf. */
  commitments: commitmentsSchema.optional(),
  /** Source-specific detail that has no field of its own. */
  attributes: jsonObjectSchema.optional(),
};

const inputEnvelope = {
  ...storedEnvelope,
  v: storedEnvelope.v.optional(),
  id: storedEnvelope.id.optional(),
  time: storedEnvelope.time.optional(),
  /** Raw sensitive values; prepareRecord turns each into a commitment. */
  sensitive: sensitiveSchema.optional(),
};

// Built once at load: schemas are the hot path's most expensive object to create.
function recordUnion<E extends z.core.$ZodShape>(envelope: E) {
  return z.discriminatedUnion("kind", [
    z.strictObject({ ...envelope, ...KIND_SHAPES.decision }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.enforcement }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.approval }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.grant }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.lifecycle }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.policy_change }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.imported }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.event }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.link }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.finding }),
    z.strictObject({ ...envelope, ...KIND_SHAPES.notification }),
  ]);
}

export const storedRecordSchema = recordUnion(storedEnvelope);
export const recordInputSchema = recordUnion(inputEnvelope);

export type StoredRecord = z.output<typeof storedRecordSchema>;
export type RecordInput = z.input<typeof recordInputSchema>;
export type RecordKind = StoredRecord["kind"];
export type RecordOfKind<K extends RecordKind> = Extract<StoredRecord, { kind: K }>;
/** What a builder of one kind gives the ledger: the type-checker holds its shape (record/prepare.ts, prepareBuilt). */
export type RecordInputOfKind<K extends RecordKind> = Extract<RecordInput, { kind: K }>;
export type DecisionRecord = RecordOfKind<"decision">;
export type EnforcementRecord = RecordOfKind<"enforcement">;
export type ApprovalRecord = RecordOfKind<"approval">;
export type GrantRecord = RecordOfKind<"grant">;
export type LifecycleRecord = RecordOfKind<"lifecycle">;
export type PolicyChangeRecord = RecordOfKind<"policy_change">;
export type ImportedRecord = RecordOfKind<"imported">;
export type EventRecord = RecordOfKind<"event">;
export type NotificationRecord = RecordOfKind<"notification">;

export const RECORD_KINDS = Object.keys(KIND_SHAPES) as RecordKind[];
