// The linkage part of the store conformance suite: a run's life and the rows it writes, read back in
// pages, and the decision-key table the join loads, with the mark of how far it has read the ledger.
import { describe, expect, it } from "vitest";
import type { DecisionKeyRow, FindingRow, JoinKeyRow, LinkageRepository, NewRun, RecordRow, RunRows, SkippedRow } from "../../src/store/index.js";
import { freshStore } from "./conformance-support.js";

export interface LinkageStoreUnderTest {
  linkage: LinkageRepository;
  close(): Promise<void>;
}

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const newRun = (id: string, seconds: number): NewRun => ({ id, format: "cloudtrail", source: `${id}.jsonl`, actor: '{"id":"carol","type":"human"}', startedAt: later(seconds), options: "{}" });

const link = (seq: number, firstEvent: number, events: number): RecordRow =>
  ({ seq, kind: "link", record_id: `rec-link-${seq}`, first_event: firstEvent, events, decision_id: null, key: null, confidence: null });
const imported = (seq: number, firstEvent: number): RecordRow =>
  ({ seq, kind: "imported", record_id: `rec-imp-${seq}`, first_event: firstEvent, events: 0, decision_id: "dec_7", key: "trace_id", confidence: 0.9 });
const finding = (seq: number): FindingRow => ({
  seq, code: "UNLINKED_ACTION", file: "a.jsonl", line: seq * 2, time: later(seq), subject_id: "bot", decision_id: seq === 1 ? "dec_1" : null,
  record_id: `rec-finding-${seq}`, note: `finding ${seq}`, evidence: `{"line":${seq * 2}}`,
});
const skippedRow = (seq: number): SkippedRow => ({ seq, file: "a.jsonl", line: seq, reason: "invalid_json", message: `line ${seq} is not JSON` });
const rows = (fields: Partial<RunRows>): RunRows => ({ records: [], traces: [], findings: [], skipped: [], ...fields });

/** A decision's keys; the hashes sit near 2^52, the largest the join's keys take, to show they come back exact. */
export function keyRow(idx: number, engine = "arbiter", sourceId: string | null = null, bound: { grantId?: string; approvalId?: string } = {}): DecisionKeyRow {
  const h = 2 ** 52 - 1000 * (idx + 1);
  return [
    idx, `dec_${idx}`, sourceId, engine, Date.parse(T0) + idx * 1000, "allow", "POLICY_PERMIT", "bot", `key_${idx}`, "deploy", "service",
    `svc-${idx}`, `trace-${idx}`, "hmac-sha256:00", bound.grantId ?? null, bound.grantId === undefined ? null : later(600), bound.approvalId ?? null,
    h, sourceId === null ? null : h + 1, h + 2, h + 3, h + 4, h + 5, h + 6,
  ];
}

/** What joinKeys promises of a row: its in-memory keys, with 1 when it relied on a grant or an approval. */
function joinKeysOf(row: DecisionKeyRow): JoinKeyRow {
  const [idx, decisionId, , engine, timeMs, outcome, , , , , , , , , grantId, , approvalId, hId, hSource, hTrace, hCredential, hSar, hAction, hResource] = row;
  return [idx, decisionId, engine, timeMs, outcome, hId, hSource, hTrace, hCredential, hSar, hAction, hResource, grantId !== null || approvalId !== null ? 1 : 0];
}

export function linkageConformance(name: string, open: () => Promise<LinkageStoreUnderTest> | LinkageStoreUnderTest): void {
  describe(`${name}: the linkage contract`, () => {
    const withStore = (test: (linkage: LinkageRepository) => void) => freshStore(open)((s) => test(s.linkage));

    it("keeps a run from its start to its end, and lists runs newest first, paged by start time", withStore((linkage) => {
      expect(linkage.run("r-1")).toBeUndefined();
      expect(linkage.runs(10)).toEqual([]);
      linkage.createRun(newRun("r-1", 0));
      linkage.createRun(newRun("r-3", 2));
      linkage.createRun(newRun("r-2", 1));
      expect(linkage.run("r-1")).toEqual({
        id: "r-1", status: "running", format: "cloudtrail", source: "r-1.jsonl", actor: '{"id":"carol","type":"human"}', started_at: T0,
        finished_at: null, options: "{}", summary: null, record_id: null,
      });
      linkage.finishRun("r-1", "done", later(5), '{"events":3}', "rec-summary");
      linkage.finishRun("r-2", "failed", later(6), '{"error":"unreadable"}', null);
      expect(linkage.run("r-1")).toMatchObject({ status: "done", finished_at: later(5), summary: '{"events":3}', record_id: "rec-summary" });
      expect(linkage.run("r-2")).toMatchObject({ status: "failed", finished_at: later(6), summary: '{"error":"unreadable"}', record_id: null });
      expect(linkage.runs(10).map((r) => r.id)).toEqual(["r-3", "r-2", "r-1"]);
      const page = linkage.runs(2);
      expect(page.map((r) => r.id)).toEqual(["r-3", "r-2"]);
      expect(linkage.runs(2, page.at(-1)?.started_at).map((r) => r.id)).toEqual(["r-1"]);
      expect(linkage.runs(10, T0)).toEqual([]);
    }));

    it("reads a run's records by the linked events they hold, its findings after a seq, and its skipped lines, in order", withStore((linkage) => {
      linkage.createRun(newRun("r-1", 0));
      linkage.createRun(newRun("r-2", 1));
      linkage.insertRunRows("r-1", rows({ records: [link(1, 0, 3), imported(2, 3)], findings: [finding(1)], skipped: [skippedRow(1), skippedRow(2)] }));
      linkage.insertRunRows("r-1", rows({ records: [link(3, 3, 2)], findings: [finding(2), finding(3)] }));
      linkage.insertRunRows("r-2", rows({ records: [link(1, 0, 9)], findings: [finding(1)], skipped: [skippedRow(1)] }));
      expect(linkage.records("r-1", -1, 10)).toEqual([link(1, 0, 3), imported(2, 3), link(3, 3, 2)]);
      const linkSeqs = (after: number, limit: number): number[] => linkage.records("r-1", after, limit).filter((r) => r.kind === "link").map((r) => r.seq);
      expect(linkSeqs(0, 10)).toEqual([1, 3]);
      expect(linkSeqs(2, 10)).toEqual([1, 3]);
      expect(linkSeqs(3, 10)).toEqual([3]);
      expect(linkSeqs(4, 10)).toEqual([3]);
      expect(linkage.records("r-1", 5, 10)).toEqual([]);
      expect(linkage.records("r-1", -1, 1)).toEqual([link(1, 0, 3)]);
      expect(linkage.records("r-none", -1, 10)).toEqual([]);
      expect(linkage.findings("r-1", 0, 10)).toEqual([finding(1), finding(2), finding(3)]);
      expect(linkage.findings("r-1", 1, 10).map((f) => f.seq)).toEqual([2, 3]);
      expect(linkage.findings("r-1", 1, 1).map((f) => f.seq)).toEqual([2]);
      expect(linkage.findings("r-1", 3, 10)).toEqual([]);
      expect(linkage.skipped("r-1", 10)).toEqual([skippedRow(1), skippedRow(2)]);
      expect(linkage.skipped("r-1", 1)).toEqual([skippedRow(1)]);
      expect(linkage.skipped("r-2", 10)).toEqual([skippedRow(1)]);
    }));

    it("finds the records of a trace across runs, once each however many of its events carried it", withStore((linkage) => {
      linkage.createRun(newRun("r-1", 0));
      linkage.createRun(newRun("r-2", 1));
      const trace = (traceId: string, recordId: string) => ({ trace_id: traceId, record_id: recordId });
      linkage.insertRunRows("r-1", rows({ traces: [trace("t-1", "rec-a"), trace("t-1", "rec-a"), trace("t-2", "rec-a")] }));
      linkage.insertRunRows("r-1", rows({ traces: [trace("t-1", "rec-a"), trace("t-1", "rec-b")] }));
      linkage.insertRunRows("r-2", rows({ traces: [trace("t-1", "rec-c")] }));
      const found = linkage.recordsOfTrace("t-1", 10).map((r) => `${r.run_id}/${r.record_id}`);
      expect(found.sort()).toEqual(["r-1/rec-a", "r-1/rec-b", "r-2/rec-c"]);
      expect(linkage.recordsOfTrace("t-1", 2)).toHaveLength(2);
      expect(linkage.recordsOfTrace("t-2", 10)).toEqual([{ run_id: "r-1", record_id: "rec-a" }]);
      expect(linkage.recordsOfTrace("t-none", 10)).toEqual([]);
    }));

    it("stores none of a batch of run rows when one of them cannot be stored", withStore((linkage) => {
      linkage.createRun(newRun("r-1", 0));
      linkage.insertRunRows("r-1", rows({ findings: [finding(1)] }));
      expect(() => linkage.insertRunRows("r-1", rows({ records: [link(1, 0, 3)], skipped: [skippedRow(1)], findings: [finding(1)] }))).toThrow();
      expect(linkage.records("r-1", -1, 10)).toEqual([]);
      expect(linkage.skipped("r-1", 10)).toEqual([]);
      expect(linkage.findings("r-1", 0, 10)).toEqual([finding(1)]);
    }));

    it("starts the decision keys over for a new key hash, adds rows keeping an index already there, and moves the mark with them", withStore((linkage) => {
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: undefined, indexedSize: 0 });
      expect(linkage.decisionKeyCount()).toBe(0);
      expect([...linkage.joinKeys()]).toEqual([]);
      linkage.resetDecisionKeys("v1");
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: "v1", indexedSize: 0 });
      const granted = keyRow(0, "arbiter", null, { grantId: "grt_1" });
      const foreign = keyRow(2, "cerbos", "cerbos-call-2");
      const approved = keyRow(5, "arbiter", null, { approvalId: "apr_5" });
      linkage.addDecisionKeys([foreign, granted], 3);
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: "v1", indexedSize: 3 });
      const changed: DecisionKeyRow = [...granted];
      changed[5] = "deny";
      linkage.addDecisionKeys([changed, approved, keyRow(6)], 7);
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: "v1", indexedSize: 7 });
      expect(linkage.decisionKeyCount()).toBe(4);
      expect([...linkage.joinKeys()]).toEqual([granted, foreign, approved, keyRow(6)].map(joinKeysOf));
      expect([...linkage.storedDecisionKeys()]).toEqual([granted, foreign, approved, keyRow(6)]);
      // A batch that cannot be stored moves neither the rows nor the mark.
      const broken = [...keyRow(8)] as unknown[];
      broken[1] = null;
      expect(() => linkage.addDecisionKeys([keyRow(7), broken as DecisionKeyRow], 9)).toThrow();
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: "v1", indexedSize: 7 });
      expect(linkage.decisionKeyCount()).toBe(4);
      linkage.resetDecisionKeys("v2");
      expect(linkage.decisionKeysMark()).toEqual({ hashVersion: "v2", indexedSize: 0 });
      expect(linkage.decisionKeyCount()).toBe(0);
      expect([...linkage.joinKeys()]).toEqual([]);
      expect(linkage.decisionDetail(0)).toBeUndefined();
      expect(linkage.knownForeignDecision("cerbos", "cerbos-call-2", "deploy", "svc-2")).toBe(false);
    }));

    it("reads one decision's detail and finds an imported decision by its engine, source id, action and resource", withStore((linkage) => {
      linkage.resetDecisionKeys("v1");
      linkage.addDecisionKeys([keyRow(0, "arbiter", null, { grantId: "grt_1" }), keyRow(2, "cerbos", "cerbos-call-2")], 3);
      expect(linkage.decisionDetail(0)).toEqual({
        decision_id: "dec_0", engine: "arbiter", time_ms: Date.parse(T0), outcome: "allow", reason_code: "POLICY_PERMIT", subject_id: "bot",
        credential_id: "key_0", action: "deploy", resource_type: "service", resource_id: "svc-0", args_digest: "hmac-sha256:00", grant_id: "grt_1",
        grant_expires_at: later(600), approval_request_id: null,
      });
      expect(linkage.decisionDetail(2)).toMatchObject({ decision_id: "dec_2", engine: "cerbos", time_ms: Date.parse(T0) + 2000, grant_id: null });
      expect(linkage.decisionDetail(1)).toBeUndefined();
      expect(linkage.knownForeignDecision("cerbos", "cerbos-call-2", "deploy", "svc-2")).toBe(true);
      expect(linkage.knownForeignDecision("opa", "cerbos-call-2", "deploy", "svc-2")).toBe(false);
      expect(linkage.knownForeignDecision("cerbos", "cerbos-call-3", "deploy", "svc-2")).toBe(false);
      expect(linkage.knownForeignDecision("cerbos", "cerbos-call-2", "delete", "svc-2")).toBe(false);
      expect(linkage.knownForeignDecision("cerbos", "cerbos-call-2", "deploy", "svc-0")).toBe(false);
    }));

    it("reads every stored decision key in ledger order, however many there are", withStore((linkage) => {
      linkage.resetDecisionKeys("v1");
      // Sparse indexes, more rows than one read takes at a time in the SQLite store (8192).
      const many = Array.from({ length: 9000 }, (_, i) => keyRow(2 * i + 1));
      linkage.addDecisionKeys([...many].reverse(), 18_001);
      expect(linkage.decisionKeyCount()).toBe(9000);
      const stored = [...linkage.storedDecisionKeys()];
      expect(stored).toHaveLength(9000);
      expect(stored.map((row) => row[0])).toEqual(many.map((row) => row[0]));
      expect(stored[8999]).toEqual(many[8999]);
      let joined = 0;
      for (const row of linkage.joinKeys()) expect(row[0]).toBe(2 * joined++ + 1);
      expect(joined).toBe(9000);
    }));
  });
}
