// Printing the report page to PDF with a locally installed Chromium (never a downloaded browser), when there is one.
import { existsSync } from "node:fs";

/** Where Chromium is looked for: $ARBITER_CHROMIUM, then the paths Debian and other distributions install it at. */
export const CHROMIUM_ENV = "ARBITER_CHROMIUM";
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env[CHROMIUM_ENV];
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** Prints `html` to `out` as A4 PDF. The page has no script and loads nothing, so nothing reaches the network. */
export async function printPdf(chromium: string, html: string, out: string): Promise<void> {
  const { chromium: launcher } = await import("playwright-core");
  // Playwright gives the browser a fresh temporary profile of its own and removes it on close.
  const browser = await launcher.launch({
    executablePath: chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.route("**/*", (route) => route.abort());
    await page.setContent(html, { waitUntil: "load" });
    await page.pdf({ path: out, format: "A4", printBackground: true, margin: { top: "15mm", bottom: "15mm", left: "12mm", right: "12mm" } });
  } finally {
    await browser.close();
  }
}
