// npm run bench:cedar — what a request costs at Cedar's WebAssembly boundary: the same sliced calls timed
// as the engine sends them, unpruned, and stripped to nothing to convert, beside the JSON each way.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { statefulIsAuthorized } from "../src/policy/cedar.js";
import type { CedarCall } from "../src/policy/engine.js";
import { caseRequest, loadPolicyCases, loadPolicyDir, PolicyEngine } from "../src/policy/index.js";
import { paddedPolicySet } from "./decide-policies.js";
import { fmt, machineLine, percentile } from "./machine.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES = join(ROOT, "examples", "policies");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50_000);
const POLICIES = 1000;

const work = mkdtempSync(join(tmpdir(), "arbiter-bench-cedar-"));
try {
  console.log(`bench:cedar | ${machineLine()} | load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const set = loadPolicyDir(paddedPolicySet(EXAMPLES, join(work, "policies"), POLICIES));
  // The answer cache is off: every evaluate() below crosses into Cedar.
  const engine = new PolicyEngine(set, { answerCache: false });
  const cases = loadPolicyCases(join(EXAMPLES, "tests.yaml")).cases.filter((c) => !("error" in c.expect));
  const inputs = cases.flatMap((c) => {
    const request = caseRequest(c);
    const options = { excludeReasons: (c.exclude_reasons ?? []) as never };
    const prepared = engine.cedarInput(request, options);
    if (!prepared) return [];
    const { call } = prepared;
    const unpruned: CedarCall = { ...call, context: request.context, entities: [...request.entities, ...call.entities.filter((e) => "type" in e.uid && e.uid.type === "Action")] };
    return [{ request, options, call, unpruned, bare: { ...call, context: {}, entities: [] } satisfies CedarCall, answer: JSON.stringify(statefulIsAuthorized(call)) }];
  });
  const variants: Record<string, (i: number) => unknown> = {
    "the engine's evaluate() (prune, call Cedar, read the answer)": (i) => engine.evaluate(at(i).request, at(i).options),
    "Cedar, the call as the engine sends it (pruned to the slice's reads)": (i) => statefulIsAuthorized(at(i).call),
    "Cedar, the same call unpruned (the request's whole context and entities)": (i) => statefulIsAuthorized(at(i).unpruned),
    "Cedar, no context and no entities (its floor: nothing to convert)": (i) => statefulIsAuthorized(at(i).bare),
    "JSON.stringify of the call (the glue's way in)": (i) => JSON.stringify(at(i).call),
    "JSON.parse of the answer (the glue's way out)": (i) => JSON.parse(at(i).answer) as unknown,
  };
  function at(i: number): (typeof inputs)[number] {
    return inputs[i % inputs.length] as (typeof inputs)[number];
  }
  const samples = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
  // Round-robin over the variants, request by request, so each sees the same machine.
  for (let i = 0; i < ROUNDS + 2000; i++) {
    for (const [name, run] of Object.entries(variants)) {
      const t = process.hrtime.bigint();
      run(i);
      if (i >= 2000) samples.get(name)?.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
  }
  const chars = (f: (x: (typeof inputs)[number]) => unknown) => Math.round(inputs.reduce((s, x) => s + JSON.stringify(f(x)).length, 0) / inputs.length);
  console.log(`\n${inputs.length} sample test cases as requests, ${set.rules.length} policies, sliced; ${ROUNDS.toLocaleString("en-US")} rounds, variants alternating call by call`);
  console.log(`JSON crossing in per call: ${chars((x) => x.call)} chars as sent, ${chars((x) => x.unpruned)} unpruned, ${chars((x) => x.bare)} bare; out: ${chars((x) => JSON.parse(x.answer))} chars\n`);
  console.log("| µs per call | p50 | p99 |");
  console.log("|---|---|---|");
  for (const [name, s] of samples) {
    s.sort((a, b) => a - b);
    console.log(`| ${name} | ${fmt(percentile(s, 50))} | ${fmt(percentile(s, 99))} |`);
  }
  const p50 = (name: string) => percentile(samples.get(name) ?? [], 50);
  const [evaluate, sent, , bare, inJson, outJson] = Object.keys(variants).map(p50) as [number, number, number, number, number, number];
  console.log(`\nof the engine's ${fmt(evaluate)} µs: the JSON each way ${fmt(inJson + outJson)} µs, Cedar converting this call's context and entities ${fmt(sent - bare)} µs, Cedar's floor ${fmt(bare)} µs`);
  console.log(`sliced decision at 1,000 policies, p50 < 20 µs (issue 16): ${evaluate < 20 ? "met" : "missed"} (${fmt(evaluate)} µs)`);
  engine.dispose();
} finally {
  rmSync(work, { recursive: true, force: true });
}
