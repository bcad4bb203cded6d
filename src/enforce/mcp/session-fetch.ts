// The fetch an HTTP upstream's MCP client uses. The SDK's Streamable HTTP transport hands every request of
// a session the session's one AbortSignal, and Node's fetch adds an abort listener to that signal per
// request which only garbage collection takes away: under load hundreds pile up on it (748 after 1,700
// calls in one measured run), and past 1,500 Node warns of a possible memory leak on the gateway's stderr.
// Here each request gets a signal of its own, linked to the session's until its response has been read
// to the end, cancelled or failed: the session's signal holds one listener per request or stream in flight,
// and closing the session still aborts every one of them.
import { setMaxListeners } from "node:events";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

export function sessionScopedFetch(base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const session = init?.signal;
    if (!session) return base(url, init);
    // Listeners here are removed as requests finish, so their number is the requests in flight: no cap to warn at.
    setMaxListeners(0, session);
    const own = new AbortController();
    const abort = (): void => own.abort(session.reason);
    const unlink = (): void => session.removeEventListener("abort", abort);
    if (session.aborted) abort();
    else session.addEventListener("abort", abort, { once: true });
    let response: Response;
    try {
      response = await base(url, { ...init, signal: own.signal });
    } catch (err) {
      unlink();
      throw err;
    }
    // Nothing left to read (a 202 to a notification): nothing for the session's close to abort.
    if (response.body === null || response.headers.get("content-length") === "0") {
      unlink();
      return response;
    }
    return new Response(untilDone(response.body, unlink), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** `body` as it is read, calling `done` once it ends, fails or is cancelled. */
function untilDone(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          done();
          controller.close();
        } else {
          controller.enqueue(chunk.value);
        }
      } catch (err) {
        done();
        controller.error(err);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
}
