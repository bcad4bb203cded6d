// The protected API of bench:proxy, in a process of its own: answers every request with a small JSON
// body and counts what reaches it (all requests, and those carrying the decision id a checked request
// is forwarded with), reported to the parent over IPC so the bench can tell a forward from a refusal.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

let received = 0;
let decided = 0;

const server = createServer((req, res) => {
  received++;
  const decision = req.headers["x-arbiter-decision-id"];
  if (typeof decision === "string" && decision !== "") decided++;
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, path: req.url }));
  });
});
server.keepAliveTimeout = 60_000;

server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});

process.on("message", (message) => {
  if (message === "count") process.send?.({ received, decided });
});
process.on("disconnect", () => process.exit(0));
