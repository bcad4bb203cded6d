// The reference store (counters in process memory) meets the limit store contract.
import { CountedLimits, MemoryCounterTable } from "../../src/decide/index.js";
import { limitStoreSuite } from "./limit-store-suite.js";

limitStoreSuite("process memory", () => new CountedLimits(new MemoryCounterTable()));
