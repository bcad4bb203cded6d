// An HTTP client that sends the request-target and headers exactly as given (fetch would normalise `..` and merge duplicates).
import { request } from "node:http";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `headers` as [name, value] pairs: a name given twice is sent twice. */
export function raw(base: string, method: string, target: string, headers: [string, string][] = [], body?: string): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // With headers given as raw pairs Node adds no Host of its own.
    const all = headers.some(([name]) => name.toLowerCase() === "host") ? headers : [["host", url.host] as [string, string], ...headers];
    const req = request({ host: url.hostname, port: url.port, method, path: target, headers: all.flat(), agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const bearer = (key: string): [string, string] => ["authorization", `Bearer ${key}`];
