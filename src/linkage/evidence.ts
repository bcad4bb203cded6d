// Writing one run's evidence: ledger records appended in windows (group commit), table rows in batch transactions.
import type { Ledger } from "../ledger/index.js";
import { newRecordId } from "../record/index.js";
import { prepareLinkRecord } from "./link-leaf.js";
import { LINKS_PER_RECORD, type LinkEntry } from "./records.js";
import type { FindingRow, LinkageRepository, RecordRow, SkippedRow, TraceRow } from "../store/index.js";
import type { Tally } from "./summary.js";

/** Appends in flight at once: enough to fill a group commit, few enough to bound memory. */
const WINDOW = 4096;
/** Skipped lines kept with their message; the rest are only counted. */
export const MAX_SKIPPED_ROWS = 1000;

interface Batch {
  id: string;
  system: string;
  file: string;
  links: LinkEntry[];
}

export class EvidenceWriter {
  private pending: Promise<unknown>[] = [];
  private batch: Batch | undefined;
  private records: RecordRow[] = [];
  private traces: TraceRow[] = [];
  private findings: FindingRow[] = [];
  private skippedRows: SkippedRow[] = [];
  private recordSeq = 0;
  private linked = 0;
  private findingSeq = 0;
  private skippedSeq = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly store: LinkageRepository,
    private readonly runId: string,
    private readonly tally: Tally,
    private readonly now: () => Date,
  ) {}

  /** Adds a linked event to the open `link` record of its source file; returns that record's id. */
  link(system: string, file: string, entry: LinkEntry): string {
    let batch = this.batch;
    if (batch === undefined || batch.system !== system || batch.file !== file || batch.links.length >= LINKS_PER_RECORD) {
      this.flushBatch();
      batch = { id: newRecordId(), system, file, links: [] };
      this.batch = batch;
    }
    batch.links.push(entry);
    if (entry.trace_id !== undefined) this.traces.push({ trace_id: entry.trace_id, record_id: batch.id });
    return batch.id;
  }

  private flushBatch(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const prepared = prepareLinkRecord({ id: batch.id, time: this.now().toISOString(), run_id: this.runId, source: { system: batch.system, file: batch.file }, links: batch.links });
    this.pending.push(this.ledger.appendPrepared(prepared));
    this.tally.records.link++;
    this.records.push({ seq: ++this.recordSeq, kind: "link", record_id: batch.id, first_event: this.linked, events: batch.links.length, decision_id: null, key: null, confidence: null });
    this.linked += batch.links.length;
  }

  /** An imported foreign decision, and the Arbiter decision it shares a request with, if any. */
  imported(input: Record<string, unknown> & { id: string }, ours: { decision_id: string; key: string; confidence: number } | undefined): void {
    this.pending.push(this.ledger.append(input));
    this.records.push({ seq: ++this.recordSeq, kind: "imported", record_id: input.id, first_event: this.linked, events: 0, decision_id: ours?.decision_id ?? null, key: ours?.key ?? null, confidence: ours?.confidence ?? null });
  }

  finding(input: Record<string, unknown>, row: Omit<FindingRow, "seq">): void {
    this.pending.push(this.ledger.append(input));
    this.tally.records.finding++;
    this.findings.push({ seq: ++this.findingSeq, ...row });
  }

  skipped(file: string, line: number, reason: string, message: string): void {
    if (this.skippedSeq >= MAX_SKIPPED_ROWS) return;
    this.skippedRows.push({ seq: ++this.skippedSeq, file, line, reason, message });
  }

  /** Waits for the appends in flight and writes the rows gathered, once enough are in flight (or always, when `force`). */
  async settle(force = false): Promise<void> {
    if (!force && this.pending.length < WINDOW) return;
    await Promise.all(this.pending.splice(0));
    this.store.insertRunRows(this.runId, { records: this.records, traces: this.traces, findings: this.findings, skipped: this.skippedRows });
    this.records = [];
    this.traces = [];
    this.findings = [];
    this.skippedRows = [];
  }

  async close(): Promise<void> {
    this.flushBatch();
    await this.settle(true);
  }
}
