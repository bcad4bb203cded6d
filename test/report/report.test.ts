// arbiter report on a real ledger: decisions made through the engine and the HTTP API, mapped to controls by the sample policies' @frameworks.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidenceReport } from "../../src/report/index.js";
import { FRAMEWORK_IDS, escapeHtml } from "../../src/report/index.js";
import { EXAMPLES } from "../policy/policy-dirs.js";
import { arbiter, tempDir } from "../support/cli.js";
import { call, decidedNow, startTestServer, TEST_CALLER, type TestServer } from "../support/server.js";

const HOSTILE = `<script>alert("x")</script>&<img src=x onerror=alert(1)>`;
// From the test clock's day (decisions carry its time) to tomorrow (approval records carry the ledger's own clock).
const DAY = ["--from", "2026-11-24T00:00:00Z", "--to", new Date(Date.now() + 86_400_000).toISOString()];

let server: TestServer;
let work: string;

beforeAll(async () => {
  server = await startTestServer();
  work = tempDir("arbiter-report-");
  const engine = server.runtime.engine;
  const deploy = { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { version: "1.4.2" } };
  const held = await engine.decide(deploy, TEST_CALLER);
  expect(held.reason_code).toBe("APPROVAL_REQUIRED");
  const approved = await call(server, "POST", `/v1/approvals/${held.approval_request?.id ?? ""}/approve`, server.as.approver, { justification: `CAB-118 ${HOSTILE}` });
  expect(approved.status).toBe(200);
  expect((await engine.decide(deploy, TEST_CALLER)).reason_code).toBe("APPROVAL_GRANTED");
  const masked = await engine.decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: HOSTILE, attributes: { classification: "internal" } } }, TEST_CALLER);
  expect(masked.reason_code).toBe("DATA_MASKED");
  const glass = await call(server, "POST", "/v1/breakglass", server.as.pep, { subject: { id: "dave" }, justification: `INC-12: ${HOSTILE}`, duration_seconds: 1800 });
  expect(glass.status).toBe(201);
  await server.runtime.ledger.drain();
});

function report(framework: string, out: string, extra: string[] = []) {
  return arbiter(["report", "--data", server.dir, ...DAY, "--framework", framework, "--out", out, "--json", "--no-pdf", ...extra]);
}

describe("arbiter report", () => {
  it("maps decisions to the framework's controls, lists approvals and break-glass with their justifications, and bundles every cited record", () => {
    const out = join(work, "csf");
    const run = report("nist-csf-2", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ out, files: ["report.json", "report.html", "bundle"], pdf_skipped: "not asked for (--no-pdf)", framework: "nist-csf-2", decisions: 4 });
    const pack = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as EvidenceReport;
    const control = (id: string) => pack.controls.find((c) => c.control === id);
    expect(control("PR.AA-05")).toMatchObject({ title: "Access permissions, entitlements, and authorizations are defined in a policy, managed, enforced, and reviewed", policies: ["oncall-break-glass", "production-approval"], decisions: 3, by_reason: { APPROVAL_REQUIRED: 1, APPROVAL_GRANTED: 1, BREAK_GLASS: 1 } });
    expect(control("PR.DS-10")).toMatchObject({ decisions: 1, by_outcome: { allow: 1 }, samples: [{ reason_code: "DATA_MASKED", resource: `Dataset::${HOSTILE}` }] });
    // Mapped by the active policies but not fired in the range: listed with no decisions.
    expect(control("PR.AA-03")).toMatchObject({ policies: ["rotate-needs-fresh-mfa"], decisions: 0, samples: [] });
    expect(pack.approvals.listed.map((a) => a.state)).toEqual(["requested", "approved"]);
    expect(pack.approvals.listed[1]).toMatchObject({ approver: "bob", justification: `CAB-118 ${HOSTILE}`, requester: "release-pipeline" });
    expect(pack.break_glass.listed).toMatchObject([{ kind: "decision", subject: "dave", justification: `INC-12: ${HOSTILE}` }]);
    expect(pack.linkage).toEqual({ sources: [], findings: { count: 0, listed: [] } });

    // Every cited record is in the bundle, and the bundle verifies offline against the log's key.
    const manifest = JSON.parse(readFileSync(join(out, "bundle", "manifest.json"), "utf8")) as { indexes: number[] };
    expect(manifest.indexes).toEqual(pack.cited);
    for (const c of pack.controls) for (const s of c.samples) expect(pack.cited).toContain(s.index);
    const verified = arbiter(["log", "verify-bundle", join(out, "bundle"), "--vkey", server.runtime.vkey, "--json"]);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, verified: pack.cited.length });
  });

  it("writes a self-contained HTML page in which hostile record text stays text", () => {
    const out = join(work, "html");
    expect(report("nist-csf-2", out).status).toBe(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain(escapeHtml(`INC-12: ${HOSTILE}`));
    expect(html).toContain(escapeHtml(`CAB-118 ${HOSTILE}`));
    // Nothing is fetched: no external stylesheet, script, image or font.
    expect(html).not.toMatch(/<[^>]*\b(?:src|href)=|@import|url\(/);
  });

  it("maps the same decisions to OWASP NHI and the NIST AI RMF by the policies' annotations", () => {
    const nhi = join(work, "nhi");
    expect(report("owasp-nhi", nhi).status).toBe(0);
    const owasp = JSON.parse(readFileSync(join(nhi, "report.json"), "utf8")) as EvidenceReport;
    expect(owasp.controls.find((c) => c.control === "NHI-8")).toMatchObject({ title: "Environment Isolation", decisions: 2 });
    const rmf = join(work, "rmf");
    expect(report("nist-ai-rmf", rmf).status).toBe(0);
    const ai = JSON.parse(readFileSync(join(rmf, "report.json"), "utf8")) as EvidenceReport;
    expect(ai.controls.map((c) => [c.control, c.decisions])).toEqual([["GOVERN-3.2", 2], ["MANAGE-2.4", 0], ["MEASURE-2.10", 1]]);
  });

  it("reports an empty range with no decisions, and its empty bundle still verifies", () => {
    const out = join(work, "empty");
    const run = arbiter(["report", "--data", server.dir, "--from", "2020-01-01T00:00:00Z", "--to", "2020-01-02T00:00:00Z", "--framework", "nist-csf-2", "--out", out, "--json", "--no-pdf"]);
    expect(run.status).toBe(0);
    const pack = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as EvidenceReport;
    expect(pack.totals).toEqual({ records: 0, decisions: 0, mapped_decisions: 0, by_outcome: {} });
    expect(pack.cited).toEqual([]);
    expect(pack.controls.every((c) => c.decisions === 0)).toBe(true);
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("No approval records in this range.");
    expect(arbiter(["log", "verify-bundle", join(out, "bundle"), "--vkey", server.runtime.vkey]).status).toBe(0);
  });

  it.each([
    [["--from", "yesterday", "--to", "2026-11-25T00:00:00Z"], /--from must be an RFC 3339 time/],
    [["--from", "2026-11-24T00:00:00Z", "--to", "2026-13-01T00:00:00Z"], /--to must be an RFC 3339 time/],
    [["--from", "2026-11-25T00:00:00Z", "--to", "2026-11-24T00:00:00Z"], /--from 2026-11-25T00:00:00.000Z must be before --to/],
  ])("refuses %j with exit code 2", (range, message) => {
    const out = join(work, "refused");
    const run = arbiter(["report", "--data", server.dir, ...range, "--framework", "nist-csf-2", "--out", out, "--no-pdf"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an unknown framework and a directory that is not empty", () => {
    const bad = arbiter(["report", "--data", server.dir, ...DAY, "--framework", "iso-27001", "--out", join(work, "x")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("nist-csf-2, owasp-nhi, nist-ai-rmf");
    const used = join(work, "csf");
    const again = report("nist-csf-2", used);
    expect(again.status).toBe(2);
    expect(again.stdout + again.stderr).toContain("is not empty");
    expect(FRAMEWORK_IDS).toEqual(["nist-csf-2", "owasp-nhi", "nist-ai-rmf"]);
  });

  it("prints report.pdf with the local Chromium when there is one, and says so when there is none", () => {
    const none = join(work, "no-chromium");
    const run = arbiter(["report", "--data", server.dir, ...DAY, "--framework", "owasp-nhi", "--out", none], { env: { ARBITER_CHROMIUM: join(work, "no-such-chromium") } });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("no report.pdf: no Chromium found (set $ARBITER_CHROMIUM to its path)");
    expect(readdirSync(none).sort()).toEqual(["bundle", "report.html", "report.json"]);
    if (!existsSync("/usr/bin/chromium")) {
      // Only a developer's machine may lack it: CI installs Debian's chromium (.ci/run), so there the PDF is required.
      expect(process.env.CI, "no /usr/bin/chromium, which .ci/run installs").toBeUndefined();
      return;
    }
    const out = join(work, "pdf");
    const printed = arbiter(["report", "--data", server.dir, ...DAY, "--framework", "owasp-nhi", "--out", out], { env: { ARBITER_CHROMIUM: "/usr/bin/chromium" } });
    expect(printed.stderr).toBe("");
    expect(printed.status).toBe(0);
    expect(readFileSync(join(out, "report.pdf")).subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });
});

describe("arbiter report with a relative window", () => {
  const today = join(tempDir("arbiter-report-now-"), "data");
  beforeAll(async () => {
    await decidedNow(today, EXAMPLES, async (runtime) => {
      const masked = await runtime.engine.decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "orders", attributes: { classification: "internal" } } }, TEST_CALLER);
      expect(masked.reason_code).toBe("DATA_MASKED");
    });
  });

  it("finds the decisions recorded now with --from 1h --to now, and records the absolute window it resolved", () => {
    const out = join(tempDir("arbiter-report-now-out-"), "pack");
    const run = arbiter(["report", "--data", today, "--from", "1h", "--to", "now", "--framework", "nist-csf-2", "--out", out, "--no-pdf"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const pack = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as EvidenceReport;
    expect(pack.totals.decisions).toBe(1);
    // One reading of the clock for both ends: exactly the hour asked for, printed and recorded as RFC 3339 times.
    const { from, to } = pack.range;
    expect(Date.parse(to) - Date.parse(from)).toBe(3_600_000);
    expect(run.stdout).toContain(`evidence pack for NIST Cybersecurity Framework 2.0 from ${from} to ${to} in ${out}: 1 decisions,`);
    expect(JSON.parse(readFileSync(join(out, "bundle", "manifest.json"), "utf8"))).toMatchObject({ from, to });
  });

  it("finds none an hour earlier, with --from 2h --to 1h", () => {
    const out = join(tempDir("arbiter-report-earlier-"), "pack");
    const run = arbiter(["report", "--data", today, "--from", "2h", "--to", "1h", "--framework", "nist-csf-2", "--out", out, "--no-pdf", "--json"]);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ decisions: 0 });
  });

  it.each([
    [["--from", "tomorrow", "--to", "now"], /--from must be an RFC 3339 time such as 2026-11-01T00:00:00Z, now, or a duration back from now/],
    [["--from", "-30d", "--to", "now"], /--from must be an RFC 3339 time/],
    [["--from", "36501d", "--to", "now"], /--from must be at most 36500d/],
    [["--from", "now", "--to", "1h"], /--from .* must be before --to/],
    [["--from", "1h", "--to", "1h"], /--from .* must be before --to/],
  ])("refuses %j with exit code 2", (range, message) => {
    const out = join(tempDir("arbiter-report-refused-"), "pack");
    const run = arbiter(["report", "--data", today, ...range, "--framework", "nist-csf-2", "--out", out, "--no-pdf"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});
