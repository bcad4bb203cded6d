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
});
