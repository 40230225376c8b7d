/**
 * Writing `gemini serve`'s logs to an output: lines kept in order, written together, with
 * a bound on what waits for a slow output.
 *
 * @module
 */

import type { LineWriter } from "../server/logger.ts";
import type { Output } from "./io.ts";

/** The most log text held for a slow output before lines are dropped (and counted). */
const MAX_QUEUED_LOG_BYTES = 4 * 1024 * 1024;

/**
 * A line writer that keeps the order of lines and can be waited for. Lines written within
 * `delayMs` (or up to 64 KiB) go out in one write: under load the access log would
 * otherwise cost a write to standard output per request, which profiling showed to cost
 * several times the TLS write of a small response (bench/RESULTS.md). What waits for a slow
 * output is bounded by `maxQueued` bytes: past it lines are dropped whole, and once the
 * output has caught up a line says how many.
 */
export function outputWriter(
  out: Output,
  delayMs = 0,
  maxQueued = MAX_QUEUED_LOG_BYTES,
): LineWriter & { flush(): Promise<void> } {
  let pending: string[] = [];
  let size = 0;
  const queue: string[] = [];
  let queued = 0;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pumping: Promise<void> | undefined;
  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const text = queue.shift()!;
      queued -= text.length;
      await out.write(text).catch(() => {});
      if (queue.length === 0 && dropped > 0) {
        const note = `${new Date().toISOString()} warn ${dropped} log lines dropped: ` +
          "the output was too slow\n";
        dropped = 0;
        await out.write(note).catch(() => {});
      }
    }
    pumping = undefined;
  };
  const drain = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    size = 0;
    queue.push(text);
    queued += text.length;
    pumping ??= pump();
  };
  return {
    write(line: string): void {
      if (queued + size + line.length > maxQueued) {
        dropped++;
        return;
      }
      pending.push(line);
      size += line.length;
      if (size >= 65_536) drain();
      else timer ??= setTimeout(drain, delayMs);
    },
    async flush(): Promise<void> {
      drain();
      while (pumping) await pumping;
    },
  };
}
