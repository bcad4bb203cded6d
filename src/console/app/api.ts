// Calls to Arbiter's API with the operator's bearer credential; problem+json answers become ApiError.
export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  code?: string;
  reason_code?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `the API answered ${status}`);
  }
}

export interface Api {
  get<T>(path: string): Promise<T>;
  text(path: string): Promise<string>;
  bytes(path: string): Promise<Uint8Array>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** Follows a Server-Sent Events stream until `stop` aborts, reconnecting with Last-Event-ID; `onEvent` gets each event's name. */
  follow(path: string, onEvent: (event: string) => void, stop: AbortSignal): void;
}

async function failure(response: Response): Promise<ApiError> {
  let problem: Problem;
  try {
    problem = (await response.json()) as Problem;
  } catch {
    problem = { title: response.statusText };
  }
  return new ApiError(response.status, problem);
}

/**
 * An API client for one credential. `onSessionEnd` is told when the API refuses the credential (401)
 * or refuses to show a view to it (403 on a read), so the console returns to sign-in with the reason.
 */
export function createApi(credential: string, onSessionEnd: (message: string) => void): Api {
  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${credential}`, accept: "application/json, text/plain" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, { method, headers, cache: "no-store", credentials: "omit", ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (response.ok) return response;
    const error = await failure(response);
    if (response.status === 401) onSessionEnd(`Signed out: ${error.message}`);
    else if (response.status === 403 && method === "GET") onSessionEnd(`This credential may not see that view: ${error.message}`);
    throw error;
  }
  /**
   * EventSource cannot send the Authorization header, and the credential must never be in a URL or a
   * cookie: so the stream is read with fetch, and the SSE framing (event, id, blank line) parsed here.
   */
  async function follow(path: string, onEvent: (event: string) => void, stop: AbortSignal): Promise<void> {
    let last: string | undefined;
    while (!stop.aborted) {
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${credential}`, accept: "text/event-stream", ...(last !== undefined ? { "last-event-id": last } : {}) };
        const response = await fetch(path, { headers, cache: "no-store", credentials: "omit", signal: stop });
        if (response.status === 401) return onSessionEnd(`Signed out: ${(await failure(response)).message}`);
        if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (\d+)$/m.exec(block)?.[1];
            const event = /^event: (\w+)$/m.exec(block)?.[1];
            if (id !== undefined) last = id;
            if (event !== undefined) onEvent(event);
          }
        }
      } catch {
        if (stop.aborted) return;
      }
      // Reconnect after the server's advised 3 s (a refused or dropped stream alike).
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
  return {
    follow: (path, onEvent, stop) => void follow(path, onEvent, stop),
    get: async <T>(path: string) => (await (await call("GET", path)).json()) as T,
    text: async (path: string) => (await call("GET", path)).text(),
    bytes: async (path: string) => new Uint8Array(await (await call("GET", path)).arrayBuffer()),
    post: async <T>(path: string, body?: unknown) => (await (await call("POST", path, body ?? {})).json()) as T,
  };
}

/** A query string from the filled-in fields only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}
