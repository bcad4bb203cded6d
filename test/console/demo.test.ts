// The README's console section end to end: `npm start` (arbiter serve --demo, after npm run build built the console) opened at its
// address in Chromium and signed in with the keys the demo printed; the decision the README asks for shows in the table.
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoServe, tempDir, type DemoServer } from "../support/cli.js";
import { launchBrowser, screenshot, signIn, SKIP_BROWSER } from "../support/browser.js";

let demo: DemoServer | undefined;
let browser: BrowserContext | undefined;
let page: Page;

beforeAll(async () => {
  if (SKIP_BROWSER) return;
  demo = await startDemoServe(join(tempDir("arbiter-console-demo-"), "data"));
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("pageerror", (err) => {
    throw err;
  });
});

afterAll(async () => {
  await browser?.close();
  demo?.child.kill("SIGTERM");
  await demo?.exited;
});

describe.skipIf(SKIP_BROWSER)("the console of npm start, as the README tells", () => {
  it("signs carol in with her printed key and shows the README's decision; bob's key sees the approvals queue and no decisions view", async () => {
    const server = demo as DemoServer;
    const answer = await fetch(`${server.url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.keys["mcp-gateway"] ?? ""}`, "content-type": "application/json" },
      body: JSON.stringify({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });

    await signIn(page, server.url, server.keys.carol ?? "", "#/decisions");
    const row = page.locator("table.decisions tbody tr", { hasText: "query_customers" }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain("DATA_MASKED");
    expect(await page.getByRole("link", { name: "Integrity" }).isVisible()).toBe(true);
    await screenshot(page, "demo-decisions");
    await page.getByRole("button", { name: "Sign out" }).click();

    await signIn(page, server.url, server.keys.bob ?? "", "#/approvals");
    expect(await page.getByRole("link", { name: "Approvals" }).isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Decisions" }).count()).toBe(0);
    await page.getByRole("button", { name: "Sign out" }).click();
  });
});
