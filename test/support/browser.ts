// Debian's Chromium driven by playwright-core (never a downloaded browser), in a fresh profile, for the console's tests.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ROOT, tempDir } from "./cli.js";

export const CHROMIUM = process.env.ARBITER_CHROMIUM ?? "/usr/bin/chromium";
/** Where the browser tests save a screenshot of each view (gitignored). */
export const SCREENSHOTS = join(ROOT, "test-results", "console");

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** True when the browser tests may be skipped: only when asked for, never because the browser is missing. */
export const SKIP_BROWSER = process.env.ARBITER_SKIP_BROWSER_TESTS === "1";

/** A fresh profile per launch: `profile` for callers outside the test runner (the bench), else a test temp dir. */
export async function launchBrowser(viewport = { width: 1280, height: 800 }, profile?: string): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's chromium package (.ci/run does), point ARBITER_CHROMIUM at it, or set ARBITER_SKIP_BROWSER_TESTS=1 to skip the browser tests`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launchPersistentContext(profile ?? tempDir("arbiter-chromium-"), { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in page as a user would. */
export async function signIn(page: Page, url: string, credential: string, hash = ""): Promise<void> {
  await page.goto(`${url}/${hash}`);
  await page.getByLabel("Operator credential").fill(credential);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

function luminance(rgb: number[]): number {
  const [r = 0, g = 0, b = 0] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two CSS rgb()/rgba() colours. */
export function contrast(foreground: string, background: string): number {
  const parse = (color: string): number[] => (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
  const [a, b] = [luminance(parse(foreground)), luminance(parse(background))].sort((x, y) => y - x);
  return ((a ?? 0) + 0.05) / ((b ?? 0) + 0.05);
}

/** The little of the DOM coloursOf reads (the tests are type-checked without the DOM library). */
interface StyledNode {
  parentElement: StyledNode | null;
}
type ComputedStyleOf = (node: StyledNode) => { color: string; backgroundColor: string };

/** The text colour of the first element matching selector and the first opaque background behind it. */
export async function coloursOf(page: Page, selector: string): Promise<{ color: string; background: string }> {
  return page
    .locator(selector)
    .first()
    .evaluate((element: unknown) => {
      const styleOf = (globalThis as unknown as { getComputedStyle: ComputedStyleOf }).getComputedStyle;
      const color = styleOf(element as StyledNode).color;
      for (let node = element as StyledNode | null; node; node = node.parentElement) {
        const background = styleOf(node).backgroundColor;
        if (background && background !== "transparent" && !background.startsWith("rgba(0, 0, 0, 0")) return { color, background };
      }
      return { color, background: "rgb(255, 255, 255)" };
    });
}

/** Evaluates a page expression (source text: the tests are type-checked without the DOM library). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}
