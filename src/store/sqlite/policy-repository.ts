// Policy versions and activations in SQLite: PolicyRepository's reads, and the activation effect the ledger's commit applies.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/index.js";
import type { PolicyActivation, PolicyRepository, StoredActivation, StoredPolicyVersion } from "../contracts/policies.js";
import { changeCounterOf, type ChangeCounter } from "./change-counter.js";
import type { SqliteDatabase } from "./database.js";

const VERSION_COLUMNS = "version, content, sources, created_at AS createdAt";

export class SqlitePolicies implements PolicyRepository {
  private readonly stmt: {
    active: Statement<[], string | undefined>;
    version: Statement<[string], StoredPolicyVersion | undefined>;
    versions: Statement<[], StoredPolicyVersion>;
    activations: Statement<[], StoredActivation>;
    insertVersion: Statement<[string, string, string, string]>;
    insertActivation: Statement<[string, string | null, string, string, string]>;
  };
  private readonly changes: ChangeCounter;

  constructor(db: SqliteDatabase) {
    this.changes = changeCounterOf(db);
    this.stmt = {
      active: db.prepare<[], string | undefined>("SELECT version FROM policy_activations ORDER BY seq DESC LIMIT 1").pluck(),
      version: db.prepare(`SELECT ${VERSION_COLUMNS} FROM policy_versions WHERE version = ?`),
      versions: db.prepare(`SELECT ${VERSION_COLUMNS} FROM policy_versions ORDER BY created_at DESC, rowid DESC`),
      activations: db.prepare(
        "SELECT seq, version, previous, actor, activated_at AS activatedAt, record_id AS recordId FROM policy_activations ORDER BY seq DESC",
      ),
      insertVersion: db.prepare("INSERT OR IGNORE INTO policy_versions (version, content, sources, created_at) VALUES (?, ?, ?, ?)"),
      insertActivation: db.prepare("INSERT INTO policy_activations (version, previous, actor, activated_at, record_id) VALUES (?, ?, ?, ?, ?)"),
    };
  }

  /** One indexed read with a statement prepared once, cheap enough to check per request. */
  activeVersion(): string | null {
    return this.stmt.active.get() ?? null;
  }

  version(version: string): StoredPolicyVersion | undefined {
    return this.stmt.version.get(version);
  }

  versions(): StoredPolicyVersion[] {
    return this.stmt.versions.all();
  }

  activations(): StoredActivation[] {
    return this.stmt.activations.all();
  }

  activate(a: PolicyActivation): void {
    const current = this.activeVersion();
    if (current !== a.previous) {
      throw new ArbiterError("CONFLICT", `policy set ${current ?? "none"} was activated meanwhile; activate again`, { active: current });
    }
    this.stmt.insertVersion.run(a.version, a.content, a.sources, a.at);
    this.stmt.insertActivation.run(a.version, a.previous, a.actor, a.at, a.recordId);
    // What remembers the active version checks the change counter; other connections see data_version move.
    this.changes.bump();
  }
}
