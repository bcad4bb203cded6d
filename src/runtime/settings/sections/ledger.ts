// `ledger`: how the enforcement ledger of a long-running process signs checkpoints.
import { duration } from "../kinds.js";
import { section, setting } from "../setting.js";

export const ledger = section("The enforcement ledger.", {
  checkpoint_interval: setting(duration({ bare: "ms", max: 3_600_000 }), {
    default: 1000,
    doc: "While entries arrive, sign a checkpoint at most this often (0: only on demand and on close). `arbiter init --checkpoint-interval` records a data directory's own value in config.json.",
    env: "ARBITER_CHECKPOINT_INTERVAL",
    flag: "--checkpoint-interval <duration>",
  }),
  verify_interval: setting(duration({ bare: "s", max: 3_600_000 }), {
    default: 5000,
    doc: "`serve` checks in the background, this often, the entries appended since the last round, that the database file is still the one it opened and that the log still holds its latest signed checkpoint; a problem makes /healthz answer 503 and stops recording (0: no background verify).",
    env: "ARBITER_VERIFY_INTERVAL",
  }),
  full_verify_interval: setting(duration({ bare: "s", max: 7 * 86_400_000 }), {
    default: 3_600_000,
    doc: "How often the background verify of `serve` also recomputes every entry, checkpoint and query-table row, as `arbiter log verify` does, which finds an old row edited under the running server (0: only once, at start).",
    env: "ARBITER_FULL_VERIFY_INTERVAL",
  }),
});
