// The approvals table in SQLite: ApprovalRepository's reads, and the approval effects the ledger's commit applies.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/index.js";
import type { ApprovalFilter, ApprovalRepository, ApprovalRequest, ApprovalState, NewApprovalRequest } from "../contracts/approvals.js";
import type { CallBinding } from "../contracts/call-binding.js";
import type { SqliteDatabase } from "./database.js";
import { approvalFromRow as fromRow, type ApprovalRow } from "../rows/approval-row.js";

const BINDING = "requester_id = ? AND action = ? AND resource_type = ? AND resource_id = ? AND args_digest = ?";

const bindingParams = (b: CallBinding): [string, string, string, string, string] => [b.subjectId, b.action, b.resourceType, b.resourceId, b.argsDigest];

export class SqliteApprovals implements ApprovalRepository {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    get: Statement<[string], ApprovalRow | undefined>;
    latestFor: Statement<[string, string, string, string, string], ApprovalRow | undefined>;
    insert: Statement<unknown[]>;
    decide: Statement<[string, string, string | null, string | null, string]>;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      get: db.prepare("SELECT * FROM approvals WHERE id = ?"),
      latestFor: db.prepare(`SELECT * FROM approvals WHERE ${BINDING} ORDER BY created_at DESC, rowid DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO approvals (id, state, requester_id, requester_type, requester_owner, action, resource_type, resource_id,
        args_digest, policy_version, gate_policy, approver_role, allow_owner, grant_uses, grant_ttl_seconds, decision_id,
        created_at, expires_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      decide: db.prepare("UPDATE approvals SET state = ?, decided_at = ?, approver = ?, justification = ? WHERE id = ? AND state = 'pending'"),
    };
  }

  get(id: string): ApprovalRequest | undefined {
    const row = this.stmt.get.get(id);
    return row && fromRow(row);
  }

  /** The newest request for exactly this call, whatever its state. */
  latestFor(binding: CallBinding): ApprovalRequest | undefined {
    const row = this.stmt.latestFor.get(...bindingParams(binding));
    return row && fromRow(row);
  }

  list(filter: ApprovalFilter): ApprovalRequest[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.state) {
      const now = (filter.now ?? new Date()).toISOString();
      // Expiry is not written back to the row, so the stored state of an expired request is still pending.
      if (filter.state === "pending") where.push("state = 'pending' AND julianday(expires_at) > julianday(?)");
      else if (filter.state === "expired") where.push("(state = 'expired' OR (state = 'pending' AND julianday(expires_at) <= julianday(?)))");
      else where.push("state = ?");
      params.push(filter.state === "pending" || filter.state === "expired" ? now : filter.state);
    }
    if (filter.requesterId) {
      where.push("requester_id = ?");
      params.push(filter.requesterId);
    }
    const sql = `SELECT * FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return this.db.prepare<unknown[], ApprovalRow>(sql).all(...params, filter.limit).map(fromRow);
  }

  /** Inserts a pending request (the effect approval.insert of its `approval` record). */
  insert(request: NewApprovalRequest): void {
    this.stmt.insert.run(request.id, request.requesterId, request.requesterType, request.requesterOwner, request.action, request.resourceType,
      request.resourceId, request.argsDigest, request.policyVersion, request.gatePolicy, request.approverRole,
      request.allowOwner ? 1 : 0, request.grantUses, request.grantTtlSeconds, request.decisionId, request.createdAt, request.expiresAt);
  }

  /** Moves a pending request to its final state; refuses (CONFLICT) if someone else decided it first. */
  decide(id: string, state: Exclude<ApprovalState, "pending">, at: string, approver: string | null, justification: string | null): void {
    if (this.stmt.decide.run(state, at, approver, justification, id).changes !== 1) {
      throw new ArbiterError("CONFLICT", `approval request ${id} is no longer pending`, { id });
    }
  }
}
