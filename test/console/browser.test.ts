// The console in Debian's Chromium against a real server: sign-in, decisions, a proof verified in the browser,
// a real MCP call held for approval and approved in the console, verify now, roles, keyboard, contrast, widths.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUpstream } from "../../src/enforce/mcp/index.js";
import { coloursOf, contrast, inPage, launchBrowser, screenshot, signIn, SKIP_BROWSER } from "../support/browser.js";
import { EVERYTHING, startWorld, type World } from "../enforce/mcp/world.js";

let world: World;
let browser: BrowserContext;
let page: Page;
let auditorKey: string;
const clients: Client[] = [];

beforeAll(async () => {
  if (SKIP_BROWSER) return;
  world = await startWorld();
  addUpstream(world.dir, "everything", { command: process.execPath, args: [EVERYTHING, "stdio"] });
  const seeder = { id: "test-seeder", type: "human" as const };
  await world.runtime.identities.create({ id: "ada", type: "human", roles: ["auditor"] }, seeder);
  auditorKey = (await world.runtime.identities.issueApiKey("ada", seeder)).key;
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (err) => {
    throw err;
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await browser?.close();
});

async function agent(): Promise<Client> {
  const client = new Client({ name: "console-test-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${world.url}/mcp/everything`), { requestInit: { headers: { authorization: `Bearer ${world.keys.coder}` } } }));
  clients.push(client);
  return client;
}

/** A get-sum call that the fixture policies hold for a tool approver, and the id of its pending request. */
async function heldCall(a: number): Promise<{ call: Promise<CallToolResult>; approvalId: string }> {
  const call = (await agent()).callTool({ name: "get-sum", arguments: { a, b: 4 } }) as Promise<CallToolResult>;
  for (;;) {
    const listed = (await (await fetch(`${world.url}/v1/approvals?state=pending&requester=coder`, { headers: world.bearer("bob") })).json()) as { approvals: { id: string; resource: { id: string } }[] };
    const found = listed.approvals.find((r) => r.resource.id === "everything/get-sum");
    if (found) return { call, approvalId: found.id };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(SKIP_BROWSER)("the console in Chromium", () => {
  it("shows nothing but the sign-in page without a credential, and refuses a wrong one with a clear message", async () => {
    await page.goto(`${world.url}/#/decisions`);
    await expect(page.getByRole("heading", { name: "Arbiter console" }).isVisible()).resolves.toBe(true);
    expect(await page.locator("table").count()).toBe(0);
    await page.getByLabel("Operator credential").fill("arb_wrong_credential");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/^Sign-in refused: the operator credential was refused/);
    expect(await inPage<number>(page, "sessionStorage.length")).toBe(0);
    await screenshot(page, "sign-in");
  });

  it("is usable from the keyboard: tab order reaches the credential and the button, and focus is visible", async () => {
    await page.goto(`${world.url}/`);
    await page.keyboard.press("Tab");
    expect(await inPage<string>(page, "document.activeElement.id")).toBe("credential");
    expect(await inPage<string>(page, "getComputedStyle(document.activeElement).outlineStyle")).not.toBe("none");
    await page.keyboard.type(world.keys.carol as string);
    await page.keyboard.press("Tab");
    expect(await inPage<string>(page, "document.activeElement.tagName + ':' + document.activeElement.textContent")).toBe("BUTTON:Sign in");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // The credential is in this tab's session storage, never in the URL.
    expect(page.url()).not.toContain(world.keys.carol as string);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Operator credential").waitFor();
  });

  it("approves a real MCP call held by /mcp/NAME in the approvals queue, and the held call completes", async () => {
    const { call, approvalId } = await heldCall(3000);
    await signIn(page, world.url, world.keys.bob as string, `#/approvals/${approvalId}`);
    const card = page.getByRole("listitem", { name: `Approval request ${approvalId}` });
    await card.waitFor();
    expect(await card.textContent()).toContain("coder asks to get-sum on Tool::everything/get-sum");
    expect(await card.locator("pre.json").textContent()).toBe(JSON.stringify({ a: 3000, b: 4 }, null, 2));
    await screenshot(page, "approvals");
    await card.getByLabel("Justification").fill("checked the sum in the console");
    await card.getByRole("button", { name: "Approve" }).click();
    await page.getByText(`Approved ${approvalId}`).waitFor();
    const result = await call;
    expect(result.content).toEqual([{ type: "text", text: "The sum of 3000 and 4 is 3004." }]);
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("filters decisions, opens one and shows its inclusion proof verified in the browser", async () => {
    await signIn(page, world.url, world.keys.carol as string);
    await page.locator("table.decisions tbody tr").first().waitFor();
    await screenshot(page, "decisions");
    await page.getByLabel("Subject").fill("coder");
    await page.getByLabel("Action").fill("get-sum");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForFunction(`[...document.querySelectorAll("table.decisions tbody tr")].every((row) => row.textContent.includes("coder"))`);
    const rows = page.locator("table.decisions tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([expect.stringContaining("APPROVAL_GRANTED"), expect.stringContaining("APPROVAL_REQUIRED")]);
    await rows.first().getByRole("link").click();
    await page.locator("[data-verdict=verified]").waitFor();
    expect(await page.locator("[data-verdict]").textContent()).toMatch(/^Verified in this browser: entry \d+ is in the log test\.arbiter\.example\/mcp of size \d+/);
    expect(await page.locator("ol.steps li").allTextContents()).toContain("checkpoint signature verified (Ed25519)");
    expect(await page.getByRole("heading", { name: "Approval and grant" }).isVisible()).toBe(true);
    await screenshot(page, "decision-detail");
  });

  it("shows a new decision live over Server-Sent Events (no polling): the stream is opened with the bearer header, never a credential in its URL", async () => {
    const streams: string[] = [];
    const watch = (request: { url(): string }): void => {
      if (request.url().includes("/v1/events")) streams.push(request.url());
    };
    page.on("request", watch);
    // Signed in as carol by the test before (the next one relies on it too); a fresh page load opens the view unfiltered.
    await page.goto(`${world.url}/#/decisions`);
    await page.reload();
    const signOut = page.getByRole("button", { name: "Sign out" });
    await signOut.or(page.getByLabel("Operator credential")).waitFor();
    if (!(await signOut.isVisible())) await signIn(page, world.url, world.keys.carol as string, "#/decisions");
    await page.locator("table.decisions tbody tr").first().waitFor();
    for (let i = 0; i < 100 && streams.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    // goto and reload are two page loads, each of which may open the stream: every one carries no credential in its URL.
    expect(streams.length).toBeGreaterThan(0);
    expect(new Set(streams)).toEqual(new Set([`${world.url}/v1/events?topic=decisions`]));
    const before = await page.locator("table.decisions tbody tr.fresh").count();
    expect(before).toBe(0);
    const answer = await fetch(`${world.url}/v1/decisions`, { method: "POST", headers: { ...world.bearer("gateway"), "content-type": "application/json" }, body: JSON.stringify({ subject: { id: "coder" }, action: "echo", resource: { type: "Tool", id: "everything/echo" } }) });
    expect(answer.status).toBe(200);
    await page.locator("table.decisions tbody tr.fresh").first().waitFor({ timeout: 5000 });
    page.off("request", watch);
  });

  it("runs verify now with progress and shows the result", async () => {
    await page.goto(`${world.url}/#/integrity`);
    await page.getByRole("button", { name: "Verify now" }).click();
    await page.locator("[data-state=verified]").waitFor();
    expect(await page.locator("[data-state=verified]").textContent()).toMatch(/^Verified: \d+ entries and \d+ checkpoints; root /);
    expect(await page.getByLabel("Verifier key").inputValue()).toMatch(/^test\.arbiter\.example\/mcp\+[0-9a-f]{8}\+/);
    await screenshot(page, "integrity");
  });

  it("has readable contrast on the views' text", async () => {
    await page.goto(`${world.url}/#/decisions`);
    await page.locator("table.decisions tbody tr").first().waitFor();
    for (const selector of ["body", "th", "td", ".top a", ".outcome.allow", ".outcome.challenge", "caption", ".filters label", "button[type=submit]", "button[type=button]"]) {
      const { color, background } = await coloursOf(page, selector);
      expect(contrast(color, background), `${selector}: ${color} on ${background}`).toBeGreaterThanOrEqual(4.5);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("shows an auditor the queue without approve buttons, and the API refuses the auditor's approval", async () => {
    const { call, approvalId } = await heldCall(4000);
    await signIn(page, world.url, auditorKey, `#/approvals/${approvalId}`);
    const card = page.getByRole("listitem", { name: `Approval request ${approvalId}` });
    await card.waitFor();
    expect(await card.getByRole("button").count()).toBe(0);
    expect(await page.getByText("deciding them needs the approver role").isVisible()).toBe(true);
    const refused = await fetch(`${world.url}/v1/approvals/${approvalId}/approve`, { method: "POST", headers: { authorization: `Bearer ${auditorKey}`, "content-type": "application/json" }, body: JSON.stringify({ justification: "not mine to give" }) });
    expect(refused.status).toBe(403);
    // The approver denies it, and the held call ends as the agent sees a refusal.
    expect((await fetch(`${world.url}/v1/approvals/${approvalId}/deny`, { method: "POST", headers: world.bearer("bob"), body: JSON.stringify({ justification: "not this one" }) })).status).toBe(200);
    const denied = await call;
    expect(denied.isError).toBe(true);
    expect((denied.content as { text: string }[])[0]?.text).toMatch(/^Arbiter blocked this call: APPROVAL_DENIED/);
    // An auditor may read decisions but not run what only approvers do; views it may not see are absent.
    expect(await page.getByRole("link", { name: "Decisions" }).isVisible()).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("rotates a credential from the identities view; an auditor has no such button and the API refuses it", async () => {
    await signIn(page, world.url, world.keys.carol as string, "#/identities");
    const row = page.locator("table.identities tbody tr", { hasText: "intern-agent" });
    await row.waitFor();
    expect(await row.textContent()).toContain("alice");
    await screenshot(page, "identities");
    await row.getByRole("button", { name: "Details of intern-agent" }).click();
    const card = page.getByRole("article", { name: "Identity intern-agent" });
    await card.getByRole("button", { name: "Rotate API key" }).click();
    await card.getByText(/^Rotated: new key arb_/).waitFor();
    await card.locator("li", { hasText: "rotated" }).first().waitFor();
    const credentials = world.runtime.identities.credentials("intern-agent").map((c) => c.status).sort();
    expect(credentials).toEqual(["active", "rotated"]);
    await page.getByRole("button", { name: "Sign out" }).click();

    await signIn(page, world.url, auditorKey, "#/identities");
    await page.locator("table.identities tbody tr", { hasText: "intern-agent" }).getByRole("button", { name: "Details of intern-agent" }).click();
    const readOnly = page.getByRole("article", { name: "Identity intern-agent" });
    await readOnly.getByRole("heading", { name: "Credentials" }).waitFor();
    expect(await readOnly.getByRole("button").count()).toBe(0);
    const refused = await fetch(`${world.url}/v1/identities/intern-agent/rotate`, { method: "POST", headers: { authorization: `Bearer ${auditorKey}`, "content-type": "application/json" }, body: "{}" });
    expect(refused.status).toBe(403);
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("shows an identity's entitlements granted vs used in the last 30 days, the unused ones flagged, as the API computes them", async () => {
    const api = (await (await fetch(`${world.url}/v1/identities/coder/entitlements`, { headers: { authorization: `Bearer ${auditorKey}` } })).json()) as { totals: { granted: number; used: number; unused: number }; entitlements: { action: string; used: number; unused: boolean }[] };
    // The approved get-sum call earlier in this file is a use; the other tools the fixture policies permit coder are not.
    expect(api.entitlements.find((e) => e.action === "get-sum")).toMatchObject({ unused: false });
    expect(api.totals.unused).toBeGreaterThan(0);
    await signIn(page, world.url, auditorKey, "#/identities");
    await page.locator("table.identities tbody tr", { hasText: "coder" }).first().getByRole("button", { name: "Details of coder" }).click();
    const card = page.getByRole("article", { name: "Identity coder" });
    await card.getByRole("heading", { name: "Entitlements granted vs used" }).waitFor();
    const rows = card.locator("table.entitlements tbody tr");
    await rows.first().waitFor();
    const shown: { action: string; used: number; unused: boolean }[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const cells = await rows.nth(i).locator("td").allTextContents();
      shown.push({ action: cells[0] ?? "", used: Number(cells[2]), unused: (await rows.nth(i).locator(".flag-unused").count()) === 1 });
    }
    expect(shown).toEqual(api.entitlements.map(({ action, used, unused }) => ({ action, used, unused })));
    expect(await card.textContent()).toContain(`${api.totals.unused} unused (least-privilege candidates)`);
    await screenshot(page, "identity-entitlements");
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("shows linkage coverage and findings per source system", async () => {
    const events = [{ eventTime: new Date().toISOString(), eventName: "GetObject", eventSource: "s3.amazonaws.com", userIdentity: { type: "IAMUser", userName: "nobody-known" } }];
    const run = await fetch(`${world.url}/v1/linkage/runs`, { method: "POST", headers: world.bearer("carol"), body: JSON.stringify({ format: "cloudtrail", source: "s3-audit", events }) });
    expect(run.status).toBe(201);
    await signIn(page, world.url, world.keys.carol as string, "#/linkage");
    const row = page.locator("table.linkage tbody tr", { hasText: "s3-audit" });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/0\.0% \(0 of 1\).*UNLINKED_ACTION 1/);
    await screenshot(page, "linkage");
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("lists policy versions with fire counts and never-fired rules, and diffs two versions", async () => {
    const { loadPolicyDir } = await import("../../src/policy/index.js");
    const { DEMO_POLICIES } = await import("../../src/runtime/demo.js");
    await signIn(page, world.url, world.keys.carol as string, "#/policies");
    const rule = page.locator("table.rules tbody tr", { hasText: "large-sums-need-approval" });
    await rule.waitFor();
    // The count shown is the number of decisions the API lists as determined by that rule.
    const listed = (await (await fetch(`${world.url}/v1/decisions?policy=large-sums-need-approval&limit=500`, { headers: world.bearer("carol") })).json()) as { decisions: unknown[] };
    expect(listed.decisions.length).toBeGreaterThanOrEqual(2);
    await rule.locator("td").nth(4).filter({ hasText: new RegExp(`^${listed.decisions.length}$`) }).waitFor();
    expect(await page.getByText(/^Never fired: /).count()).toBe(1);
    await screenshot(page, "policies");
    // A second version: the sample policies replace the fixture's, and the diff names what changed.
    await world.runtime.policies.activate(loadPolicyDir(DEMO_POLICIES), { id: "test-seeder", type: "human" });
    await page.reload();
    await page.locator("table.versions tbody tr").nth(1).waitFor();
    await page.locator(".diff").waitFor();
    expect(await page.locator(".diff p").first().textContent()).toMatch(/^Added: .*Removed: .*large-sums-need-approval/);
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("is usable on a narrow window (420 px): nothing wider than the window but the table's own scroller", async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await signIn(page, world.url, world.keys.carol as string);
    await page.locator("table.decisions tbody tr").first().waitFor();
    const wide = await inPage<string[]>(page, "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 421 && !e.closest('.table-wrap')).map((e) => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)");
    expect(wide).toEqual([]);
    expect(await inPage<number>(page, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(420);
    await screenshot(page, "decisions-narrow");
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
