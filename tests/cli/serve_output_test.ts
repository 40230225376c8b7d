/**
 * The log writer of `gemini serve`: batches lines, keeps their order, never splits one,
 * and holds a bounded amount for an output that does not keep up (dropping whole lines and
 * saying how many once it has caught up).
 */

import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { outputWriter } from "../../lib/cli/serve_output.ts";
import type { Output } from "../../lib/cli/io.ts";

/** An output whose writes wait until `release()`, recording what it was given. */
function stalledOutput(): Output & { writes: string[]; release(): void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const writes: string[] = [];
  return {
    isTerminal: false,
    writes,
    release: () => open(),
    async write(data: string | Uint8Array): Promise<void> {
      await gate;
      writes.push(typeof data === "string" ? data : new TextDecoder().decode(data));
    },
  };
}

Deno.test("outputWriter() holds at most maxQueued bytes for a stalled output and reports what it dropped", async () => {
  const out = stalledOutput();
  const writer = outputWriter(out, 0, 1024);
  const line = (i: number) => `line ${String(i).padStart(4, "0")} ${"x".repeat(40)}\n`;
  for (let i = 0; i < 1000; i++) writer.write(line(i));
  out.release();
  await writer.flush();
  const text = out.writes.join("");
  const lines = text.split("\n").filter(Boolean);
  const kept = lines.filter((l) => l.startsWith("line "));
  assert(kept.length > 0 && kept.length <= 1024 / line(0).length + 1, `${kept.length} lines kept`);
  // Whole lines, in order, from the start.
  assertEquals(kept, kept.map((_, i) => line(i).trimEnd()));
  assertMatch(lines.at(-1)!, new RegExp(` warn ${1000 - kept.length} log lines dropped`));
});

Deno.test("outputWriter() writes every line in order when the output keeps up", async () => {
  const writes: string[] = [];
  const writer = outputWriter({
    isTerminal: false,
    write: (data) => {
      writes.push(String(data));
      return Promise.resolve();
    },
  }, 0);
  for (let i = 0; i < 5000; i++) writer.write(`${i}\n`);
  await writer.flush();
  assertEquals(writes.join(""), Array.from({ length: 5000 }, (_, i) => `${i}\n`).join(""));
});
