// The composition root: one data directory, one store connection, every capability wired to it.
import { BreakGlassFlow, DecisionEngine, DecisionLog, RecentDecisions, type LimitStore } from "../decide/index.js";
import { IdentityDirectory } from "../identity/index.js";
import { LedgerWatch, openLedger, type Ledger } from "../ledger/index.js";
import { Linkage } from "../linkage/index.js";
import { PolicyStore } from "../policy/index.js";
import type { Caller } from "../record/index.js";
import {
  loadBindingKey,
  type ApprovalRepository,
  type BreakGlassRepository,
  type DataDirConfig,
  type GrantRepository,
  type Store,
} from "../store/index.js";
import { startStreams, type StreamingOptions, type Streams } from "../stream/index.js";
import { limitStore } from "./limits.js";
import { localCaller } from "./local-caller.js";
import { loadSettings } from "./settings/index.js";

export { ACTOR_ENV } from "../identity/index.js";
export { streamingOptions } from "./streaming.js";
export type { SinkStatus } from "../stream/index.js";
export { approverNotifier, startNotifications, type NotificationOptions, type Notifications } from "./notifications.js";
// Types only: the gateways load the MCP SDK and the HTTP enforcement, which a command that opens a
// data directory (every CLI command) does not need; the serving process imports ./gateways.js itself.
export type { DecisionObserver, GatewayLog, GatewayOptions, Gateways } from "./gateways.js";

export interface RuntimeOptions {
  /** Overrides the configured checkpoint interval; 0 signs only on demand and on close. */
  checkpointIntervalMs?: number;
  busyTimeoutMs?: number;
  /** See OpenLedgerOptions.backgroundCheckpoints. */
  backgroundCheckpoints?: boolean;
  now?: () => Date;
  /** Sinks to stream every ledger record to (long-running processes: serve, mcp wrap). */
  streaming?: StreamingOptions;
  /** Where rate-limit and quota counters live; by default as the `limits` settings of the data directory and environment say. */
  limits?: LimitStore;
  /** Verify the ledger in the background (serve): a problem found stops recording (see Ledger.halt). intervalMs 0: off. */
  watch?: { intervalMs: number; fullIntervalMs: number; onProblem?: (message: string) => void };
}

export interface Runtime {
  dir: string;
  config: DataDirConfig;
  vkey: string;
  /** The data directory's store, whose repositories every capability here was built on. */
  store: Store;
  ledger: Ledger;
  identities: IdentityDirectory;
  policies: PolicyStore;
  engine: DecisionEngine;
  decisions: DecisionLog;
  approvals: ApprovalRepository;
  grants: GrantRepository;
  breakGlass: BreakGlassRepository;
  breakGlassFlow: BreakGlassFlow;
  linkage: Linkage;
  /** The outside sinks records stream to, when any is configured. */
  streams: Streams | undefined;
  /** The background verify of the ledger, when one runs. */
  watch: LedgerWatch | undefined;
  /** The clock every capability reads (tests move it). */
  now: () => Date;
  /** Who works on the data directory from this process, for records made without an API credential (see local-caller.ts). */
  localCaller(actorFlag?: string): Caller;
  close(): Promise<void>;
}

export function openRuntime(dir: string, options: RuntimeOptions = {}): Runtime {
  // Read before the ledger opens: a settings file in error leaves nothing open behind it.
  const limitSettings = options.limits === undefined ? loadSettings({ dir, env: process.env }).settings.limits : undefined;
  const { ledger, config, vkey, store } = openLedger(dir, {
    ...(options.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
    ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
    ...(options.backgroundCheckpoints !== undefined ? { backgroundCheckpoints: options.backgroundCheckpoints } : {}),
  });
  const now = options.now ?? (() => new Date());
  const identities = new IdentityDirectory({ identities: store.identities, ledger, dataDir: dir, issuer: config.origin, now });
  const policies = new PolicyStore(store.policies, ledger);
  const { approvals, grants, breakGlass } = store;
  const bindingKey = loadBindingKey(dir);
  const limits = options.limits ?? limitStore(limitSettings as NonNullable<typeof limitSettings>, store.limitCounters);
  const recent = new RecentDecisions();
  const engine = new DecisionEngine({
    ledger,
    identities,
    policies,
    approvals,
    grants,
    breakGlass,
    limits,
    bindingKey,
    now,
    recent,
  });
  // Started last: nothing after them can fail and leave a worker running for a runtime nobody holds.
  const watch =
    options.watch && options.watch.intervalMs > 0
      ? new LedgerWatch(dir, ledger, {
          intervalMs: options.watch.intervalMs,
          fullIntervalMs: options.watch.fullIntervalMs,
          onProblem: (problem) => {
            ledger.halt(problem.message);
            options.watch?.onProblem?.(problem.message);
          },
        })
      : undefined;
  const streams = options.streaming && startStreams(ledger.reader, store.streamPositions, config.origin, options.streaming);
  return {
    dir,
    config,
    vkey,
    store,
    ledger,
    identities,
    policies,
    engine,
    decisions: new DecisionLog(ledger, policies, { approvals, grants }, recent),
    approvals,
    grants,
    breakGlass,
    breakGlassFlow: new BreakGlassFlow(engine, identities, ledger, breakGlass, now),
    linkage: new Linkage({ tables: store.linkage, ledger, identities, grants, bindingKey, now }),
    now,
    localCaller: (actorFlag) => localCaller(identities, actorFlag),
    streams,
    watch,
    close: async () => {
      try {
        await watch?.close();
        await streams?.close();
        await ledger.close();
      } finally {
        await limits.close();
      }
    },
  };
}
