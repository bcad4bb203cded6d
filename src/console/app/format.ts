// Small display helpers shared by the views.
export interface DecisionRow {
  index: number;
  id: string;
  time: string;
  subject: { id: string; type?: string; owner?: string | null };
  action: string;
  resource: { type?: string; id: string };
  outcome: "allow" | "deny" | "challenge" | "error";
  control?: string;
  reason_code: string;
  note?: string;
  policy?: { set_version: string; determining: string[] };
  correlation?: { trace_id?: string };
}

/** "2026-11-24 10:00:03Z": sortable, unambiguous, short. */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function resourceText(resource: { type?: string; id: string }): string {
  return resource.type ? `${resource.type}::${resource.id}` : resource.id;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
