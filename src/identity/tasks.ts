// Tasks: a token may be issued for a task, and completing the task revokes every credential issued for it at once.
import { ArbiterError } from "../record/index.js";
import { parseInput, requireIdentity, type ChangeContext } from "./changes.js";
import { lifecycleRecord } from "./records.js";
import type { TaskRow } from "../store/index.js";
import { taskIdSchema, type Actor } from "./schema.js";

export interface TaskCompletion {
  task: string;
  owner: string;
  completed_at: string;
  completed_by: string;
  /** The credentials issued for the task, revoked by its completion. */
  credentials: string[];
  /** True when the task had been completed before this call (nothing was changed or recorded). */
  already_completed: boolean;
}

/** The task id as given, or REQUEST_INVALID naming what is wrong with it. */
export function parseTaskId(id: unknown): string {
  return parseInput(taskIdSchema, id, "task");
}

export function requireTask(ctx: ChangeContext, id: string): TaskRow {
  const task = ctx.rows.task(parseTaskId(id));
  if (task === undefined) throw new ArbiterError("NOT_FOUND", `no task ${JSON.stringify(id)} exists: a task is created by the first token issued for it`, { task: id });
  return task;
}

/** Refuses a token for a task that is already completed: its credentials are over for good. */
export function requireOpenTask(ctx: ChangeContext, id: string): void {
  const task = ctx.rows.task(id);
  if (task?.completed_at != null) {
    throw new ArbiterError("CONFLICT", `task ${id} was completed at ${task.completed_at}; a completed task gets no new token`, { task: id, reason_code: "TASK_COMPLETED" });
  }
}

function completion(task: TaskRow, credentials: string[], already: boolean): TaskCompletion {
  return {
    task: task.id,
    owner: task.owner,
    completed_at: task.completed_at as string,
    completed_by: task.completed_by as string,
    credentials,
    already_completed: already,
  };
}

/**
 * Completes a task: one `task_completed` lifecycle record (on the task's owner) lists every
 * credential issued for it, and its effect marks the task completed and revokes them in the same
 * commit. Completing a completed task changes and records nothing and says so.
 */
export async function completeTask(ctx: ChangeContext, id: string, actor: Actor, reason?: string): Promise<TaskCompletion> {
  const { rows } = ctx;
  const before = requireTask(ctx, id);
  const credentials = (): string[] => rows.credentialsOfTask(before.id).map((c) => c.id);
  if (before.completed_at !== null) return completion(before, credentials(), true);
  const owner = requireIdentity(rows, before.owner);
  const listed = credentials();
  const at = ctx.now().toISOString();
  const record = lifecycleRecord("task_completed", owner, actor, {
    note: reason ?? `task ${before.id} completed: ${listed.length} credential(s) revoked`,
    attributes: { task: before.id, credentials: listed },
  });
  let raced = false;
  await ctx.ledger.append(record, { effects: [{ type: "task.complete", id: before.id, at, by: actor.id, credentials: listed }] }).catch((err: unknown) => {
    // Another process completed it first (CONFLICT, this record refused): answer as a repeat.
    raced = err instanceof ArbiterError && err.code === "CONFLICT" && rows.task(before.id)?.completed_at != null;
    if (!raced) throw err;
  });
  const after = rows.task(before.id) as TaskRow;
  return completion(after, credentials(), raced);
}
