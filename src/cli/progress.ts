// Progress of long operations, drawn on stderr only when a person is watching (a TTY).
import { SingleBar, Presets } from "cli-progress";

export type ProgressReporter = ((done: number, total: number) => void) & { stop(): void };

export function progressBar(label: string, enabled = process.stderr.isTTY === true): ProgressReporter {
  if (!enabled) {
    return Object.assign(() => undefined, { stop: () => undefined });
  }
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  const report = (done: number, total: number): void => {
    if (!started) {
      bar.start(total, done);
      started = true;
    } else {
      bar.setTotal(total);
      bar.update(done);
    }
  };
  return Object.assign(report, {
    stop: () => {
      if (started) bar.stop();
    },
  });
}
