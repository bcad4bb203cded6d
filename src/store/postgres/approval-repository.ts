// The approvals table in PostgreSQL: ApprovalRepository's reads, and the approval effects the ledger's commit applies.
import { ArbiterError } from "../../record/index.js";
import type { ApprovalFilter, ApprovalRepository, ApprovalRequest, ApprovalState, NewApprovalRequest } from "../contracts/approvals.js";
import type { CallBinding } from "../contracts/call-binding.js";
import type { PgConnection } from "./connection.js";
import { noLimitBelowZero } from "./limit.js";
import { approvalFromRow as fromRow, type ApprovalRow } from "../rows/approval-row.js";

/** Every column but rowid, which only orders. */
const COLUMNS = `id, state, requester_id, requester_type, requester_owner, action, resource_type, resource_id, args_digest, policy_version,
  gate_policy, approver_role, allow_owner, grant_uses, grant_ttl_seconds, decision_id, created_at, expires_at, decided_at, approver, justification`;

const LATEST = `SELECT ${COLUMNS} FROM approvals
  WHERE requester_id = $1 AND action = $2 AND resource_type = $3 AND resource_id = $4 AND args_digest = $5
  ORDER BY created_at DESC, rowid DESC LIMIT 1`;
const INSERT = `INSERT INTO approvals (id, state, requester_id, requester_type, requester_owner, action, resource_type, resource_id,
  args_digest, policy_version, gate_policy, approver_role, allow_owner, grant_uses, grant_ttl_seconds, decision_id, created_at, expires_at)
  VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
// Conditional on the row still being pending: of two replicas deciding at once, the second finds
// no row once the first committed, and reports it instead of overwriting the first decision.
const DECIDE = "UPDATE approvals SET state = $1, decided_at = $2, approver = $3, justification = $4 WHERE id = $5 AND state = 'pending' RETURNING id";

export class PgApprovals implements ApprovalRepository {
  constructor(private readonly conn: PgConnection) {}

  get(id: string): ApprovalRequest | undefined {
    const [row] = this.conn.query<ApprovalRow>(`SELECT ${COLUMNS} FROM approvals WHERE id = $1`, [id]);
    return row && fromRow(row);
  }

  /** The newest request for exactly this call, whatever its state. */
  latestFor(binding: CallBinding): ApprovalRequest | undefined {
    const [row] = this.conn.query<ApprovalRow>(LATEST, [binding.subjectId, binding.action, binding.resourceType, binding.resourceId, binding.argsDigest]);
    return row && fromRow(row);
  }

  list(filter: ApprovalFilter): ApprovalRequest[] {
    const where: string[] = [];
    const params: (string | number | null)[] = [];
    const param = (value: string | number | null): string => `$${params.push(value)}`;
    if (filter.state) {
      const now = (filter.now ?? new Date()).toISOString();
      // Expiry is not written back to the row, so the stored state of an expired request is still
      // pending. Compared as instants, as SQLite's julianday() compares them.
      if (filter.state === "pending") where.push(`state = 'pending' AND expires_at::timestamptz > ${param(now)}::timestamptz`);
      else if (filter.state === "expired") where.push(`(state = 'expired' OR (state = 'pending' AND expires_at::timestamptz <= ${param(now)}::timestamptz))`);
      else where.push(`state = ${param(filter.state)}`);
    }
    if (filter.requesterId) where.push(`requester_id = ${param(filter.requesterId)}`);
    const sql = `SELECT ${COLUMNS} FROM approvals ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY created_at DESC, rowid DESC LIMIT ${param(noLimitBelowZero(filter.limit))}`;
    return this.conn.query<ApprovalRow>(sql, params).map(fromRow);
  }

  /** Inserts a pending request (the effect approval.insert of its `approval` record). */
  insert(request: NewApprovalRequest): void {
    this.conn.query(INSERT, [request.id, request.requesterId, request.requesterType, request.requesterOwner, request.action, request.resourceType,
      request.resourceId, request.argsDigest, request.policyVersion, request.gatePolicy, request.approverRole,
      request.allowOwner ? 1 : 0, request.grantUses, request.grantTtlSeconds, request.decisionId, request.createdAt, request.expiresAt]);
  }

  /** Moves a pending request to its final state; refuses (CONFLICT) if someone else decided it first. */
  decide(id: string, state: Exclude<ApprovalState, "pending">, at: string, approver: string | null, justification: string | null): void {
    if (this.conn.query(DECIDE, [state, at, approver, justification, id]).length !== 1) {
      throw new ArbiterError("CONFLICT", `approval request ${id} is no longer pending`, { id });
    }
  }
}
