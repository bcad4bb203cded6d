// The facts about the machine and run that every benchmark prints beside its figures.
import { cpus, totalmem, release } from "node:os";

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  return `${new Date().toISOString().slice(0, 10)} | ${cpus().length} cores (${cpu}) | ${Math.round(totalmem() / 2 ** 30)} GiB | Linux ${release()} | Node ${process.version}`;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
