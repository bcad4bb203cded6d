// Serves the built console at `/`: static files only, under a Content-Security-Policy that admits no inline script.
import type { FastifyReply } from "fastify";
import { loadConsoleAssets, type ConsoleFile } from "../console/index.js";
import type { ArbiterApp } from "./context.js";
import { problem, sendProblem } from "./problem.js";

/**
 * Scripts, styles and API calls from this origin only; nothing inline, no plugins, no framing, no
 * form posts elsewhere. The token lives in sessionStorage, so an injected script is what it guards.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CONSOLE_CSP)
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "no-referrer")
    .header("cross-origin-opener-policy", "same-origin")
    .header("cross-origin-resource-policy", "same-origin");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function notBuiltPage(reason: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Arbiter console not built</title></head>
<body><h1>The Arbiter console is not built</h1><p>${escapeHtml(reason)}.</p>
<p>Build it with <code>npm run build</code> in the Arbiter checkout (or <code>npm start</code>, which builds first), then restart <code>arbiter serve</code>. The API under <code>/v1</code> works without it.</p></body></html>\n`;
}

export interface ConsoleRouteOptions {
  /** Where the built console is; default the package's dist/console-app. */
  dir?: string;
}

export function consoleRoutes(app: ArbiterApp, options: ConsoleRouteOptions = {}): void {
  const assets = loadConsoleAssets(options.dir);
  const send = (reply: FastifyReply, file: ConsoleFile): FastifyReply =>
    pageHeaders(reply)
      .header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache")
      .type(file.contentType)
      .send(file.body);

  const index = (_request: unknown, reply: FastifyReply): FastifyReply => {
    if (!assets.ok) return pageHeaders(reply).status(503).header("cache-control", "no-store").type("text/html; charset=utf-8").send(notBuiltPage(assets.reason));
    const file = assets.files.get("/index.html");
    return file ? send(reply, file) : reply.status(503).send();
  };
  app.get("/", { schema: { hide: true } }, index);
  app.get("/index.html", { schema: { hide: true } }, index);
  // Files at the top (the icon) each get their own route, so no catch-all shadows the API's 404s.
  for (const [path, file] of assets.ok ? assets.files : []) {
    if (path !== "/index.html" && !path.startsWith("/assets/")) app.get(path, { schema: { hide: true } }, (_request, reply) => send(reply, file));
  }
  app.get("/assets/:file", { schema: { hide: true } }, (request, reply) => {
    const file = assets.ok ? assets.files.get(request.url.split("?")[0] ?? "") : undefined;
    return file ? send(reply, file) : sendProblem(reply, problem("NOT_FOUND", `no console file ${request.url.split("?")[0]}`));
  });
}
