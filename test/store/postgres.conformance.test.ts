// The store conformance suite against the PostgreSQL store on the machine's server, opened as the
// product opens it (PostgresStore, its own effects dispatcher), each case in a schema of its own.
import { freshPgStore } from "../support/postgres-ledger.js";
import { storeConformance } from "./conformance.js";

storeConformance("PostgreSQL", () => {
  const { ledger, bundle: store } = freshPgStore();
  return {
    ledger,
    grants: store.grants,
    approvals: store.approvals,
    breakGlass: store.breakGlass,
    policies: store.policies,
    identities: store.identities,
    limits: store.limitCounters,
    linkage: store.linkage,
    notifyOutbox: store.notifyOutbox,
    streamPositions: store.streamPositions,
    close: () => ledger.close(),
  };
});
