// An HTTP client on a bare TCP socket: sends exactly the bytes a test writes, when it writes them (slow or partial
// requests, bodies that stop as soon as an answer arrives), and shows every byte the server answered.
import { connect, type Socket } from "node:net";

export interface RawConnection {
  socket: Socket;
  /** The client's port, which the server sees as the remote port (kept: a closed socket forgets it). */
  localPort: number;
  /** Everything the server has sent so far, as latin1 text. */
  received(): string;
  /** Resolves when the connection is closed, by either side (an RST included). */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Resolves true once the received text matches, false if the connection closes first. */
  waitFor(pattern: RegExp): Promise<boolean>;
}

export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let text = "";
  let done = false;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
    wake();
  });
  // A server that closes while the test still writes resets the connection: that is an outcome, not a failure.
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      done = true;
      wake();
      resolve();
    }),
  );
  return {
    socket,
    localPort: socket.localPort ?? 0,
    received: () => text,
    closed,
    isClosed: () => done,
    waitFor: (pattern) =>
      new Promise<boolean>((resolve) => {
        const check = (): void => {
          if (pattern.test(text)) resolve(true);
          else if (done) resolve(false);
          else return;
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The head of an HTTP/1.1 request, ending with the blank line. */
export function head(method: string, path: string, headers: Record<string, string | number>): string {
  return [`${method} ${path} HTTP/1.1`, "host: arbiter.test", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), "", ""].join("\r\n");
}

/**
 * Writes up to `total` body bytes as fast as the server takes them, stopping as soon as anything is
 * answered or the connection closes. Returns how many bytes were handed to the socket.
 */
export async function streamUntilAnswered(conn: RawConnection, total: number, chunkSize = 64 * 1024): Promise<number> {
  const chunk = Buffer.alloc(chunkSize, 0x20);
  let sent = 0;
  const answered = (): boolean => conn.received().length > 0 || conn.isClosed();
  while (sent < total && !answered()) {
    const piece = chunk.subarray(0, Math.min(chunkSize, total - sent));
    sent += piece.length;
    if (!conn.socket.write(piece)) {
      await Promise.race([new Promise((resolve) => conn.socket.once("drain", resolve)), conn.waitFor(/./), conn.closed]);
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return sent;
}

/** Writes `pieces` one every `everyMs` until all are sent or the connection closes; returns how many were written. */
export async function trickle(conn: RawConnection, pieces: readonly string[], everyMs: number): Promise<number> {
  let written = 0;
  for (const piece of pieces) {
    if (conn.isClosed()) break;
    conn.socket.write(piece);
    written += 1;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, everyMs)), conn.closed]);
  }
  return written;
}
