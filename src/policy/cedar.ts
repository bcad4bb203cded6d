// Cedar's WebAssembly build, imported in one place, with the V8 setting it needs to run safely in a hot loop.
import { setFlagsFromString } from "node:v8";

// Measured on Node 20 (V8 11.3): when TurboFan inlines the JS→Wasm call into an optimized caller
// (PolicyEngine.evaluate) and that caller is lazily deoptimized while Cedar's wasm calls back into
// JSON.stringify/parse, the process dies with a V8 fatal error ("unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation), within a few thousand evaluations. Without the
// inlining it never crashed, and evaluation latency did not change measurably.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");

export * from "@cedar-policy/cedar-wasm/nodejs";
