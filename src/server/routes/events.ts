// Live updates for the console over Server-Sent Events: new decisions and approval changes, by ledger index, resumable, bounded.
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { bearerCredential } from "../../identity/index.js";
import { operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";
import { eventStreamMetrics } from "../metrics.js";
import { problem, sendProblem } from "../problem.js";

/** How a stream may be tuned (tests make the waits short). */
export interface EventStreamOptions {
  heartbeatMs?: number;
  /**
   * How often the ledger's size is read for entries other processes on the data directory appended
   * (the CLI, the other workers of `serve --workers N`); this process's own appends are sent as soon
   * as they are durable, without waiting for it.
   */
  pollMs?: number;
  maxPerIdentity?: number;
  maxTotal?: number;
  /** Bytes a client may leave unread before it is dropped (never buffered without bound). */
  maxBufferedBytes?: number;
}

const TOPICS = ["decisions", "approvals"] as const;
type Topic = (typeof TOPICS)[number];
/** A resume further back than this many entries is told to reload instead of replayed. */
const MAX_RESUME = 1000;

const eventsQuery = z.strictObject({ topic: z.enum(TOPICS) });
const LAST_EVENT_ID = /^\d{1,15}$/;

interface Client {
  operator: string;
  topic: Topic;
  next: number;
  reply: FastifyReply;
  credential: string;
}

/** What a stream tells: which entry changed, never the record itself (the console reads that through the API, as the operator's roles allow). */
function eventOf(topic: Topic, index: number, entry: Buffer): string | undefined {
  let record: { kind?: unknown; time?: unknown; id?: unknown; outcome?: unknown; reason_code?: unknown; approval_request_id?: unknown };
  try {
    record = JSON.parse(entry.toString("utf8")) as typeof record;
  } catch {
    return undefined;
  }
  const decision = record.kind === "decision";
  const wanted = topic === "decisions" ? decision : record.kind === "approval" || record.kind === "grant" || (decision && record.reason_code === "APPROVAL_REQUIRED");
  if (!wanted) return undefined;
  const data = { index, kind: record.kind, time: record.time, ...(decision ? { decision_id: record.id, outcome: record.outcome } : {}) };
  return `id: ${index}\nevent: ${topic}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** What /metrics tells of the streams: how many are open, what they owe, and why some were ended. */
export interface EventStreamStatus {
  open: Record<Topic, number>;
  /** Bytes written to open streams that their clients have not taken yet (each at most maxBufferedBytes and one event). */
  unsentBytes: number;
  dropped: { slow: number; revoked: number };
}

export function eventRoutes({ app, runtime, metrics }: ServerContext, options: EventStreamOptions = {}): void {
  const { ledger, identities } = runtime;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxPerIdentity = options.maxPerIdentity ?? 4;
  const maxTotal = options.maxTotal ?? 64;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const clients = new Set<Client>();
  const dropped = { slow: 0, revoked: 0 };
  let poll: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let unfollow: (() => void) | undefined;
  let deliverScheduled = false;

  eventStreamMetrics(metrics.registry, (): EventStreamStatus => {
    const open = { decisions: 0, approvals: 0 };
    let unsentBytes = 0;
    for (const client of clients) {
      open[client.topic]++;
      unsentBytes += client.reply.raw.writableLength;
    }
    return { open, unsentBytes, dropped: { ...dropped } };
  });

  const drop = (client: Client, reason?: keyof typeof dropped): void => {
    if (!clients.delete(client)) return;
    if (reason) dropped[reason]++;
    if (!client.reply.raw.destroyed) client.reply.raw.destroy();
    if (clients.size === 0) {
      clearInterval(poll);
      clearInterval(heartbeat);
      unfollow?.();
      poll = heartbeat = unfollow = undefined;
    }
  };
  const send = (client: Client, text: string): void => {
    client.reply.raw.write(text);
    // A client that does not read is dropped once it owes this much: it reconnects with Last-Event-ID and loses nothing.
    if (client.reply.raw.writableLength > maxBuffered) drop(client, "slow");
  };
  const deliver = (): void => {
    deliverScheduled = false;
    if (clients.size === 0) return;
    const size = ledger.size();
    // Each entry is read and framed once per topic, however many streams want it.
    const framed = new Map<string, string | undefined>();
    for (const client of [...clients]) {
      for (; client.next < size && clients.has(client); client.next++) {
        const key = `${client.topic} ${client.next}`;
        if (!framed.has(key)) framed.set(key, eventOf(client.topic, client.next, ledger.entry(client.next)));
        const text = framed.get(key);
        if (text) send(client, text);
      }
    }
  };
  // Appends of this process are told once durable; a burst of them is one pass (setImmediate), not one per append.
  const follow = (): void => {
    if (deliverScheduled) return;
    deliverScheduled = true;
    setImmediate(deliver);
  };
  const beat = async (): Promise<void> => {
    for (const client of [...clients]) {
      // A credential revoked or suspended since the stream opened ends it at the next heartbeat.
      const still = await identities.authenticateOperator(client.credential);
      if (!still.ok) drop(client, "revoked");
      else send(client, ": heartbeat\n\n");
    }
  };

  app.addHook("preClose", (done) => {
    for (const client of [...clients]) drop(client);
    done();
  });

  app.get("/v1/events", {
    schema: { querystring: eventsQuery, tags: ["console"], summary: "Server-Sent Events: new decisions (auditor, admin) or approval changes (approver too), id = ledger index; resume with Last-Event-ID" },
    onRequest: requireRole(identities, "admin", "auditor", "approver"),
    handler: (request: FastifyRequest<{ Querystring: z.infer<typeof eventsQuery> }>, reply: FastifyReply) => {
      const operator = operatorOf(request);
      const { topic } = request.query;
      if (topic === "decisions" && !operator.roles.some((role) => role === "admin" || role === "auditor")) {
        return sendProblem(reply, problem("FORBIDDEN", `${operator.id} needs the role auditor or admin for the decisions stream`, { reason_code: "ROLE_REQUIRED" }));
      }
      const header = request.headers["last-event-id"];
      if (header !== undefined && (typeof header !== "string" || !LAST_EVENT_ID.test(header))) {
        return sendProblem(reply, problem("REQUEST_INVALID", "Last-Event-ID must be a ledger index (the id of an event this stream sent)"));
      }
      const mine = [...clients].filter((c) => c.operator === operator.id).length;
      if (mine >= maxPerIdentity || clients.size >= maxTotal) {
        const detail = mine >= maxPerIdentity ? `${operator.id} already holds ${mine} event streams (at most ${maxPerIdentity})` : `the server already serves ${clients.size} event streams (at most ${maxTotal})`;
        return sendProblem(reply.header("retry-after", "5"), problem("EVENT_STREAM_LIMIT", detail));
      }
      const size = ledger.size();
      const resume = header === undefined ? size : Math.min(Number(header) + 1, size);
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no", "x-content-type-options": "nosniff" });
      const client: Client = { operator: operator.id, topic, next: size - resume > MAX_RESUME ? size : resume, reply, credential: bearerCredential(request.headers.authorization) ?? "" };
      reply.raw.write(size - resume > MAX_RESUME ? `retry: 3000\nevent: reset\ndata: {"index":${size}}\n\n` : "retry: 3000\n\n");
      clients.add(client);
      reply.raw.on("close", () => drop(client));
      unfollow ??= ledger.onAppended(follow);
      poll ??= setInterval(deliver, options.pollMs ?? 1000);
      heartbeat ??= setInterval(() => void beat(), heartbeatMs);
      deliver();
      return reply;
    },
  });
}
