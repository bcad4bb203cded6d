// Policy versions and activations in PostgreSQL: PolicyRepository's reads, and the activation effect the ledger's commit applies.
import { ArbiterError } from "../../record/index.js";
import type { PolicyActivation, PolicyRepository, StoredActivation, StoredPolicyVersion } from "../contracts/policies.js";
import { isUniqueViolation, type PgConnection } from "./connection.js";
import { RAISE_CHANGE_COUNTER } from "./identity-repository.js";

const VERSION_COLUMNS = `version, content, sources, created_at AS "createdAt"`;
const ACTIVE = "SELECT version FROM policy_activations ORDER BY seq DESC LIMIT 1";

/** What the activation statement answers: the version it found active, and whether it inserted the activation. */
interface ActivationCheck {
  current: string | null;
  activated: number;
}

export class PgPolicies implements PolicyRepository {
  constructor(private readonly conn: PgConnection) {}

  /** One primary-key-ordered read of the newest activation, cheap enough to check per request. */
  activeVersion(): string | null {
    const [row] = this.conn.query<{ version: string }>(ACTIVE);
    return row?.version ?? null;
  }

  version(version: string): StoredPolicyVersion | undefined {
    const [row] = this.conn.query<StoredPolicyVersion>(`SELECT ${VERSION_COLUMNS} FROM policy_versions WHERE version = $1`, [version]);
    return row;
  }

  versions(): StoredPolicyVersion[] {
    return this.conn.query<StoredPolicyVersion>(`SELECT ${VERSION_COLUMNS} FROM policy_versions ORDER BY created_at DESC, rowid DESC`);
  }

  activations(): StoredActivation[] {
    return this.conn.query<StoredActivation>(
      `SELECT seq, version, previous, actor, activated_at AS "activatedAt", record_id AS "recordId" FROM policy_activations ORDER BY seq DESC`,
    );
  }

  /**
   * One statement: the check of the active version and both inserts, which happen only when it holds.
   * seq is the next after the newest, as SQLite's INTEGER PRIMARY KEY numbers rows (no gap left by a
   * rolled-back activation). Two activations not serialized by the ledger's lock would both take the
   * same seq; the second's unique violation is the same refusal as a stale `previous`.
   */
  activate(a: PolicyActivation): void {
    let row: ActivationCheck | undefined;
    try {
      // The change counter is raised in the same round trip, so whoever remembers the active version
      // (PolicyStore) sees it move on any replica once this commits; a refusal rolls both back.
      const [, rows] = this.conn.batch([
        RAISE_CHANGE_COUNTER,
        {
          text: `WITH current AS (${ACTIVE}),
         ok AS (SELECT 1 WHERE (SELECT version FROM current) IS NOT DISTINCT FROM $5::text),
         stored AS (INSERT INTO policy_versions (version, content, sources, created_at) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM ok)
                    ON CONFLICT (version) DO NOTHING),
         activated AS (INSERT INTO policy_activations (seq, version, previous, actor, activated_at, record_id)
                       SELECT coalesce((SELECT max(seq) FROM policy_activations), 0) + 1, $1, $5, $6, $4, $7 WHERE EXISTS (SELECT 1 FROM ok)
                       RETURNING seq)
         SELECT (SELECT version FROM current) AS current, (SELECT count(*) FROM activated)::int AS activated`,
          values: [a.version, a.content, a.sources, a.at, a.previous, a.actor, a.recordId],
        },
      ]);
      row = (rows as ActivationCheck[] | undefined)?.[0];
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new ArbiterError("CONFLICT", "another policy set was activated meanwhile; activate again", {});
    }
    const current = row?.current ?? null;
    if (row?.activated !== 1) {
      throw new ArbiterError("CONFLICT", `policy set ${current ?? "none"} was activated meanwhile; activate again`, { active: current });
    }
  }
}
