// The store conformance suite against the embedded SQLite store, opened as the product opens it.
import { freshLedger } from "../support/ledger.js";
import { storeConformance } from "./conformance.js";

storeConformance("SQLite", () => {
  const { ledger, store } = freshLedger();
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
