// The store conformance suite against the embedded SQLite store, opened as the product opens it.
import { SqliteApprovals, SqliteBreakGlass, SqliteGrants, SqliteIdentities, SqliteLimitCounters, SqlitePolicies } from "../../src/store/index.js";
import { freshLedger } from "../support/ledger.js";
import { storeConformance } from "./conformance.js";

storeConformance("SQLite", () => {
  const { ledger, db } = freshLedger();
  return {
    ledger,
    grants: new SqliteGrants(db),
    approvals: new SqliteApprovals(db),
    breakGlass: new SqliteBreakGlass(db),
    policies: new SqlitePolicies(db),
    identities: new SqliteIdentities(db),
    limits: new SqliteLimitCounters(db),
    close: () => ledger.close(),
  };
});
