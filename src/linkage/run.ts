// One linkage run: read, import, join, find, and write the evidence; returns the summary.
import type { GrantRepository } from "../decide/index.js";
import type { IdentityDirectory } from "../identity/index.js";
import type { Ledger } from "../ledger/index.js";
import { ArbiterError, newRecordId, redactText, type FindingCode } from "../record/index.js";
import type { LinkageRepository } from "../store/index.js";
import { syncDecisionKeys } from "./decision-keys.js";
import { loadDecisionTable } from "./decision-table.js";
import { reached, wellFormed, type ForeignDecision, type LinkEvent, type LinkFormat } from "./event.js";
import { EvidenceWriter } from "./evidence.js";
import { carriedGrantFindings, credentialFindings, decisionFindings, ownerFinding, ownerGap, unlinkedFinding, type FindingContext, type FindingDraft, type OwnerGapFound } from "./findings.js";
import { importerFor, type Importer, type Mapping } from "./formats/index.js";
import { loadIdentityState, type IdentityState } from "./identity-state.js";
import { inputName, inputSize, readInput, type FileFacts, type Item, type LinkInput } from "./input.js";
import { joinEvent, type JoinOptions, type JoinOutcome } from "./join.js";
import { PrincipalResolver, type PrincipalMap } from "./principals.js";
import { findingRecord, importedRecord, iso, linkEntry, runRecord, type RunActor } from "./records.js";
import { redactEvent, redactForeign } from "./redact-items.js";
import { SeenSet } from "./seen-set.js";
import { describeSummary, summaryAttributes, Tally, type FileStats, type LinkageSummary } from "./summary.js";

export interface LinkageDeps {
  /** The linkage tables of the ledger's store (runs, their rows, the decision keys). */
  tables: LinkageRepository;
  ledger: Ledger;
  identities: IdentityDirectory;
  grants: GrantRepository;
  /** The data directory's binding key, so event arguments hash like decisions' (decide/binding.ts). */
  bindingKey: Buffer;
  now: () => Date;
}

export interface RunOptions {
  format: LinkFormat;
  /** Field mapping for `jsonl`; the access-log mapping when absent. */
  mapping?: Mapping;
  /** Source principals → Arbiter identities (principals.ts); the built-in rules alone when absent. */
  principals?: PrincipalMap;
  windowSeconds?: number;
  skewSeconds?: number;
  /** Who ran the linkage, recorded as the subject of the run's own record. */
  actor: RunActor;
  /** Input read so far and in all (bytes of files; items of inline input); called once per batch. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_WINDOW_SECONDS = 60;
export const DEFAULT_SKEW_SECONDS = 5;

interface OwnerGap {
  event: LinkEvent;
  found: OwnerGapFound;
  count: number;
  lastMs: number;
}

export async function runLinkage(deps: LinkageDeps, input: LinkInput, options: RunOptions): Promise<LinkageSummary> {
  if (options.mapping !== undefined && options.format !== "jsonl") throw new ArbiterError("USAGE", "a mapping applies to --format jsonl only");
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (!(windowSeconds > 0) || !(skewSeconds >= 0)) throw new ArbiterError("USAGE", "the window must be positive and the skew tolerance zero or more seconds");
  inputSize(input); // a missing file or directory is a usage error, before any run is recorded
  const started = deps.now();
  const runId = `lnk_${newRecordId(started.getTime())}`;
  const store = deps.tables;
  const source = inputName(input);
  store.createRun({ id: runId, format: options.format, source, actor: options.actor.id, startedAt: started.toISOString(), options: JSON.stringify({ window_seconds: windowSeconds, skew_seconds: skewSeconds, mapping: options.mapping ?? null, principal_map: options.principals ?? null }) });
  try {
    const syncStart = Date.now();
    const synced = await syncDecisionKeys(deps.tables, deps.ledger);
    const loadStart = Date.now();
    // One snapshot, as checkDecisionKeys reads: the count and every chunk of rows from the same state,
    // whatever another process adds or resets meanwhile.
    const table = deps.ledger.reader.readConsistent(() => loadDecisionTable(deps.tables));
    const loaded = Date.now();
    const run = new Run(deps, runId, options, { windowMs: windowSeconds * 1000, skewMs: skewSeconds * 1000 }, table, loadIdentityState(deps.identities));
    const facts = await run.read(input);
    await run.finishFindings();
    const linkMs = Date.now() - loaded;
    const digests = run.importer.finish?.(facts);
    const summary: LinkageSummary = {
      run_id: runId,
      status: "done",
      format: options.format,
      source,
      started_at: started.toISOString(),
      finished_at: deps.now().toISOString(),
      window_seconds: windowSeconds,
      skew_seconds: skewSeconds,
      ...run.tally.counts(),
      ...(digests !== undefined ? { cloudtrail_digests: digests } : {}),
      index: { decisions: table.count, newly_indexed: synced.added, sync_ms: loadStart - syncStart, load_ms: loaded - loadStart },
      elapsed_ms: Date.now() - syncStart,
      events_per_second: Math.round(run.tally.events / Math.max(linkMs / 1000, 0.001)),
    };
    const recordId = newRecordId();
    summary.records.run = recordId;
    await deps.ledger.append(runRecord(recordId, runId, options.actor, `Linkage run ${runId} over ${source} (${options.format}): ${describeSummary(summary)}.`, summaryAttributes(summary)));
    store.finishRun(runId, "done", summary.finished_at, JSON.stringify(summary), recordId);
    return summary;
  } catch (err) {
    store.finishRun(runId, "failed", deps.now().toISOString(), JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), null);
    throw err;
  }
}

class Run {
  readonly tally = new Tally();
  readonly importer: Importer;
  private readonly writer: EvidenceWriter;
  private readonly ctx: FindingContext;
  private readonly seen = new SeenSet();
  private readonly owners = new Map<string, OwnerGap>();
  private readonly principals: PrincipalResolver;
  private readonly nowMs: number;

  constructor(
    private readonly deps: LinkageDeps,
    private readonly runId: string,
    private readonly options: RunOptions,
    private readonly join: JoinOptions,
    table: ReturnType<typeof loadDecisionTable>,
    private readonly state: IdentityState,
  ) {
    this.importer = importerFor(options.format, options.mapping);
    this.writer = new EvidenceWriter(deps.ledger, deps.tables, runId, this.tally, deps.now);
    this.ctx = { table, state, skewMs: join.skewMs, windowMs: join.windowMs, bindingKey: deps.bindingKey, detail: (idx) => deps.tables.decisionDetail(idx), grantUses: new Map(), withinSkew: this.tally.withinSkew };
    this.nowMs = deps.now().getTime();
    this.principals = new PrincipalResolver(options.principals, (id) => state.identities.has(id));
  }

  async read(input: LinkInput): Promise<FileFacts[]> {
    const facts: FileFacts[] = [];
    const total = inputSize(input);
    let before = 0;
    for (const file of readInput(input)) {
      facts.push(file.facts);
      const stats = this.tally.file(file.facts);
      for await (const batch of file.batches) {
        for (const item of batch) this.item(item, file.facts.file, stats);
        this.options.onProgress?.(before + file.read(), total);
        await this.writer.settle();
      }
      before += file.size;
    }
    return facts;
  }

  private item(item: Item, file: string, stats: FileStats): void {
    this.tally.items++;
    stats.items++;
    let value: unknown;
    if ("skip" in item) return this.skipLine(file, item.line, item.skip, item.message, stats);
    if ("value" in item) value = item.value;
    else {
      try {
        value = JSON.parse(item.text);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return item.last === true
          ? this.skipLine(file, item.line, "truncated", `line ${item.line} is cut off at the end of the file (truncated file): ${why}`, stats)
          : this.skipLine(file, item.line, "invalid_json", `line ${item.line} is not JSON: ${why}`, stats);
      }
    }
    for (const result of this.importer.parse(value, { file, line: item.line })) {
      if (result.kind === "skip") this.skipLine(file, item.line, result.reason, result.message, stats);
      else if (result.kind === "ignore") this.tally.ignore(result.reason);
      else if (!this.isWellFormed(result.kind === "event" ? result.event : result.decision)) this.skipLine(file, item.line, "invalid_encoding", `line ${item.line} holds a lone UTF-16 surrogate (\\ud800–\\udfff escape), which no record can carry`, stats);
      else if (this.isDuplicate(result.kind === "event" ? result.event : result.decision, file, stats)) continue;
      else if (result.kind === "event") this.event(redactEvent(result.event, this.ctx.bindingKey), stats);
      else this.foreign(redactForeign(result.decision, this.ctx.bindingKey));
    }
  }

  private skipLine(file: string, line: number, reason: Parameters<Tally["skip"]>[0], message: string, stats: FileStats): void {
    this.tally.skip(reason, stats);
    this.writer.skipped(file, line, reason, redactText(message, this.ctx.bindingKey, true));
  }

  private isWellFormed(item: LinkEvent | ForeignDecision): boolean {
    const common = [item.subject.id, "principal" in item.subject ? item.subject.principal : undefined, item.action, item.resource.id, item.resource.type, item.originalId];
    return "system" in item
      ? wellFormed(...common, item.system, item.subject.credentialId, item.decisionId, item.grantId)
      : wellFormed(...common, item.sourceId, item.policy.set_version, item.policy.bundle_revision, ...item.policy.determining);
  }

  /** Same source and same original id: counted once, the repeat reported with the line of the first. */
  private isDuplicate(item: LinkEvent | ForeignDecision, file: string, stats: FileStats): boolean {
    if (item.originalId === undefined) return false;
    const first = this.seen.firstLine(`${"system" in item ? item.system : item.engine}\u0000${item.originalId}`, item.at.line);
    if (first === undefined) return false;
    this.tally.duplicates++;
    this.skipLine(file, item.at.line, "duplicate", `line ${item.at.line} repeats event ${item.originalId} first read at line ${first}`, stats);
    return true;
  }

  private event(event: LinkEvent, stats: FileStats): void {
    const { table } = this.ctx;
    this.tally.events++;
    stats.events++;
    if (event.timeMs > this.nowMs + this.join.skewMs) this.tally.futureEvents++;
    const outcome = this.joinOf(event);
    const time = iso(event.timeMs);
    const drafts: FindingDraft[] = [];
    const match = outcome.match;
    if (match) {
      this.tally.linked++;
      stats.linked++;
      this.tally.byKey[match.key]++;
      this.writer.link(event.system, event.at.file, linkEntry(event, time, table.ids.get(match.row), match.key, match.confidence));
      drafts.push(...decisionFindings(event, match, this.ctx));
    } else if (reached(event.outcome)) {
      this.tally.unlinked++;
      drafts.push(unlinkedFinding(event, outcome, this.ctx));
    } else {
      this.tally.unlinkedDenied++;
    }
    drafts.push(...credentialFindings(event, this.ctx));
    if (event.grantId !== undefined) {
      const grant = this.deps.grants.get(event.grantId);
      drafts.push(...carriedGrantFindings(event, grant, this.ctx));
    }
    this.noteOwner(event);
    const decisionId = match ? table.ids.get(match.row) : undefined;
    const codes: FindingCode[] = [];
    for (const draft of drafts) {
      if (codes.includes(draft.code)) continue;
      codes.push(draft.code);
      this.writeFinding(event, draft, decisionId);
    }
  }

  /**
   * The join as the source named the subject, then, for subject+action+resource, as the identity the
   * principal map names for it. Not by a built-in rule: those match a name in any namespace or
   * account, and a look-alike (`system:serviceaccount:other:build-bot`) must not borrow a decision.
   */
  private joinOf(event: LinkEvent): JoinOutcome {
    const outcome = joinEvent(this.ctx.table, event, this.join);
    if (outcome.match !== undefined) return outcome;
    const names = event.subject.principal !== undefined ? [event.subject.id, event.subject.principal] : [event.subject.id];
    const match = this.principals.resolve(names);
    const identity = match?.rule === "map" ? match.identity : undefined;
    if (identity === undefined || identity === event.subject.id) return outcome;
    const again = joinEvent(this.ctx.table, { ...event, subject: { ...event.subject, id: identity } }, this.join);
    return again.match !== undefined ? again : outcome;
  }

  private writeFinding(event: LinkEvent, draft: FindingDraft, decisionId: string | undefined): void {
    const id = newRecordId();
    const credentialKind = event.subject.credentialId === undefined ? undefined : this.state.credentials.get(event.subject.credentialId)?.kind;
    this.tally.finding(draft.code);
    this.writer.finding(findingRecord(id, this.runId, event, draft, { ...(decisionId !== undefined ? { decisionId } : {}), ...(credentialKind !== undefined ? { credentialKind } : {}) }), {
      code: draft.code,
      file: event.at.file,
      line: event.at.line,
      time: iso(event.timeMs),
      subject_id: event.subject.id,
      decision_id: decisionId ?? null,
      record_id: id,
      note: draft.note,
      evidence: JSON.stringify(draft.evidence),
    });
  }

  /** Ownership is a property of the identity, so it is reported once per identity per run, with a count. */
  private noteOwner(event: LinkEvent): void {
    const found = ownerGap(event, this.state, this.principals);
    if (found === undefined) return;
    const seen = this.owners.get(found.identityId);
    if (seen) {
      seen.count++;
      seen.lastMs = Math.max(seen.lastMs, event.timeMs);
    } else {
      this.owners.set(found.identityId, { event, found, count: 1, lastMs: event.timeMs });
    }
  }

  private foreign(decision: ForeignDecision): void {
    const asEvent: LinkEvent = { system: decision.engine, at: decision.at, timeMs: decision.timeMs, subject: { id: decision.subject.id, type: "unknown" }, action: decision.action, resource: decision.resource, outcome: "unknown", ...(decision.traceId !== undefined ? { traceId: decision.traceId } : {}) };
    const own = joinEvent(this.ctx.table, asEvent, { ...this.join, ownOnly: true }).match;
    if (own) this.tally.foreign.corroborated++;
    if (this.deps.tables.knownForeignDecision(decision.engine, decision.sourceId, decision.action, decision.resource.id)) {
      this.tally.foreign.already_in_ledger++;
      return;
    }
    const ours = own ? { decision_id: this.ctx.table.ids.get(own.row), key: own.key, confidence: own.confidence } : undefined;
    this.writer.imported(importedRecord(newRecordId(), this.runId, decision), ours);
    this.tally.foreign.imported++;
    this.tally.records.imported++;
  }

  async finishFindings(): Promise<void> {
    for (const [identityId, gap] of this.owners) {
      const draft = ownerFinding(identityId, gap.found, gap.event, gap.count, gap.lastMs);
      this.writeFinding(gap.event, draft, undefined);
    }
    await this.writer.close();
  }
}
