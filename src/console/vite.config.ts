// Builds the console SPA into dist/console-app, which `arbiter serve` serves at `/`.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

const here = (path: string): string => decodeURIComponent(new URL(path, import.meta.url).pathname);

export default defineConfig({
  root: here("./app"),
  base: "/",
  plugins: [preact()],
  build: {
    outDir: here("../../dist/console-app"),
    emptyOutDir: true,
    // The server's Content-Security-Policy admits no inline script: no preload polyfill, no inlined assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
