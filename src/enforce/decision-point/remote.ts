// The decision point of a running Arbiter, reached over HTTP with a PEP credential; anything but a clean answer refuses the call.
import type { Candidate, Decision, DecisionRequest, EnforcementReport, RefusalRequest, SubjectRef, Visibility } from "../../decide/index.js";
import { ArbiterError, ERROR_CODES, type ErrorCode } from "../../record/index.js";
import type { ApprovalStatus, DecisionPoint } from "./point.js";

/** Where `--pep-credential` is read from when the flag is absent (keeps the key out of process listings). */
export const PEP_CREDENTIAL_ENV = "ARBITER_PEP_CREDENTIAL";

const DEFAULT_TIMEOUT_MS = 10_000;

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

export class RemoteDecisionPoint implements DecisionPoint {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(url: string, pepCredential: string, options: { timeoutMs?: number } = {}) {
    this.base = url.replace(/\/+$/, "");
    this.headers = { authorization: `Bearer ${pepCredential}`, "content-type": "application/json", accept: "application/json" };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * One API call. A problem answer becomes the ArbiterError it names; a network failure, a timeout or
   * an answer that is not JSON becomes LEDGER_UNAVAILABLE: no durable decision was obtained.
   */
  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new ArbiterError("LEDGER_UNAVAILABLE", `Arbiter at ${this.base} could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ArbiterError("LEDGER_UNAVAILABLE", `Arbiter at ${this.base} answered ${method} ${path} with ${response.status} and a body that is not JSON`);
    }
    if (response.status >= 200 && response.status < 300) return { status: response.status, body: parsed as T };
    const problem = (parsed ?? {}) as { code?: unknown; detail?: unknown };
    const detail = typeof problem.detail === "string" ? problem.detail : `HTTP ${response.status}`;
    throw new ArbiterError(isErrorCode(problem.code) ? problem.code : "LEDGER_UNAVAILABLE", `Arbiter refused ${method} ${path}: ${detail}`, { status: response.status });
  }

  private async recorded(path: string, body: unknown): Promise<Decision> {
    const d = (await this.call<Decision>("POST", path, body)).body;
    // Only a complete, recorded decision counts; anything else is treated as no decision at all.
    if (typeof d?.decision_id !== "string" || typeof d.outcome !== "string" || typeof d.ledger?.index !== "number") {
      throw new ArbiterError("LEDGER_UNAVAILABLE", `Arbiter at ${this.base} answered POST ${path} without a recorded decision`);
    }
    return d;
  }

  decide(request: DecisionRequest): Promise<Decision> {
    return this.recorded("/v1/decisions", request);
  }

  refuse(request: RefusalRequest): Promise<Decision> {
    return this.recorded("/v1/refusals", request);
  }

  async report(decisionId: string, report: EnforcementReport): Promise<void> {
    await this.call("POST", `/v1/decisions/${encodeURIComponent(decisionId)}/enforcement`, report);
  }

  async approval(id: string): Promise<ApprovalStatus | undefined> {
    try {
      const answer = await this.call<ApprovalStatus>("GET", `/v1/approvals/${encodeURIComponent(id)}`);
      return { state: answer.body.state, expires_at: answer.body.expires_at };
    } catch (err) {
      if (err instanceof ArbiterError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }

  async visible(subject: SubjectRef, candidates: readonly Candidate[]): Promise<Visibility> {
    return (await this.call<Visibility>("POST", "/v1/visibility", { subject, candidates })).body;
  }

  /**
   * Asks the server, before the gateway relays anything, whether it admits this point's credential
   * as an enforcement point: an empty listing for `subject` needs an authenticated identity with the
   * `pep` role and has no effect (a role refusal is recorded by the server, as any other). A refused
   * credential becomes an error naming what to fix, instead of a failed `tools/list` later.
   */
  async checkAccess(subject: SubjectRef): Promise<void> {
    try {
      await this.call<Visibility>("POST", "/v1/visibility", { subject, candidates: [] });
    } catch (err) {
      if (!(err instanceof ArbiterError)) throw err;
      if (err.code === "UNAUTHENTICATED") {
        throw new ArbiterError("UNAUTHENTICATED", `Arbiter at ${this.base} refused the gateway's --pep-credential (${err.message.replace(/^Arbiter refused POST \/v1\/visibility: /, "")}); give the API key or token of an identity with the pep role`, err.details);
      }
      if (err.code === "FORBIDDEN") {
        throw new ArbiterError("FORBIDDEN", `the gateway's --pep-credential is not an enforcement point's at ${this.base} (${err.message.replace(/^Arbiter refused POST \/v1\/visibility: /, "")}); use the key of an identity with the pep role`, err.details);
      }
      throw err;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
