// Refusing a request without reading its body, in a way the client still hears.
import type { FastifyReply, FastifyRequest } from "fastify";

/** Bodies up to this size are drained after a refusal (the connection stays usable); bigger ones are left unread. */
const DRAIN_LIMIT = 16 * 1024;
/** How long a connection refused with its body unread stays half-closed, so the client reads the answer before the reset. */
const LINGER_MS = 2000;

/**
 * For an answer sent before the body was read (an unauthenticated caller, a body over the route's
 * limit): a body bigger than a few packets, or of unknown length, is never read, so a caller
 * cannot make the server receive, parse or validate megabytes it will refuse.
 *
 * Node.js would drain the rest of the body to reuse the connection, or close it at once; a close
 * with unread bytes is a TCP reset, and a client still writing its body loses the answer. So the
 * body stream is marked consumed (Node.js no longer drains it; the parser stops the socket once the
 * stream's small buffer is full), the answer is followed by a FIN, and the socket is destroyed
 * after a short linger.
 */
export function leaveBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  const length = Number(request.headers["content-length"] ?? 0);
  if (request.headers["transfer-encoding"] === undefined && length <= DRAIN_LIMIT) return;
  if (request.raw.complete) return;
  const socket = request.raw.socket;
  request.raw.read(0);
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  reply.header("connection", "close");
}
