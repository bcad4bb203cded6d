// "Verify now": a full ledger verify run as a job on a worker thread, started and polled by auditors and admins.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { verifyInWorker, type LedgerVerification } from "../../ledger/index.js";
import { ArbiterError } from "../../record/index.js";
import { operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

interface VerifyJob {
  id: string;
  state: "running" | "verified" | "failed" | "error";
  started_at: string;
  started_by: string;
  finished_at: string | null;
  checked: number;
  total: number;
  result: LedgerVerification | null;
  error: string | null;
}

const idParams = z.strictObject({ id: z.uuid() });
/** Finished jobs kept for polling; older ones are forgotten. */
const KEPT_JOBS = 16;

export function logVerifyRoutes({ app, runtime }: ServerContext): void {
  const jobs = new Map<string, VerifyJob>();
  const readers = requireRole(runtime.identities, "auditor", "admin");

  app.post("/v1/log/verify", {
    schema: { tags: ["log"], summary: "Start a full ledger verify (one at a time: while one runs, its job is answered); poll GET /v1/log/verify/:id" },
    onRequest: readers,
    handler: (request, reply) => {
      // A verify reads every entry: a flood of requests shares the running one instead of starting more.
      const running = [...jobs.values()].find((job) => job.state === "running");
      if (running) return reply.status(200).send(running);
      const job: VerifyJob = { id: randomUUID(), state: "running", started_at: runtime.now().toISOString(), started_by: operatorOf(request).id, finished_at: null, checked: 0, total: 0, result: null, error: null };
      jobs.set(job.id, job);
      for (const id of [...jobs.keys()].slice(0, Math.max(0, jobs.size - KEPT_JOBS))) jobs.delete(id);
      verifyInWorker(runtime.dir, (done, total) => {
        job.checked = done;
        job.total = total;
      }).then(
        (result) => {
          Object.assign(job, { state: result.ok ? "verified" : "failed", result, checked: result.entries, total: result.entries, finished_at: runtime.now().toISOString() });
        },
        (err: unknown) => {
          Object.assign(job, { state: "error", error: err instanceof Error ? err.message : String(err), finished_at: runtime.now().toISOString() });
          request.log.error({ code: "LEDGER_UNAVAILABLE" }, "ledger verify job failed to run");
        },
      );
      return reply.status(202).send(job);
    },
  });

  app.get("/v1/log/verify/:id", {
    schema: { params: idParams, tags: ["log"], summary: "A verify job: state, entries checked of total, and the result once finished" },
    onRequest: readers,
    handler: (request) => {
      const job = jobs.get(request.params.id);
      if (!job) throw new ArbiterError("NOT_FOUND", `no verify job ${request.params.id} (jobs are kept in memory, the last ${KEPT_JOBS})`);
      return job;
    },
  });
}
