/**
 * Log files that logrotate can rotate: renamed away, then reopened on SIGUSR1, with no line
 * lost, split or written twice, also when writes and reopens interleave.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { openLogFile } from "../../lib/cli/log_file.ts";

Deno.test("openLogFile(): 2,000 lines written around 20 rotations all land whole, once, in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/access.log`;
    const log = await openLogFile(path);
    const writes: Promise<void>[] = [];
    let rotations = 0;
    let rotating: Promise<void> = Promise.resolve();
    for (let i = 0; i < 2000; i++) {
      writes.push(log.write(`line ${i} ${"x".repeat(i % 97)}\n`));
      if (i % 100 === 99) {
        // logrotate (one run at a time): rename, then tell the server, while more lines
        // keep coming.
        const n = ++rotations;
        rotating = rotating.then(() => Deno.rename(path, `${path}.${n}`)).then(() => log.reopen());
        writes.push(rotating);
      }
    }
    await Promise.all(writes);
    await log.close();
    const files = [...Array.from({ length: rotations }, (_, i) => `${path}.${i + 1}`), path];
    const lines = (await Promise.all(files.map((f) => Deno.readTextFile(f)))).join("").split("\n");
    assertEquals(lines.pop(), "");
    assertEquals(lines, Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`));
    assertEquals(rotations, 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openLogFile() names the file it cannot open", async () => {
  let message = "";
  try {
    await openLogFile("/nonexistent-dir/access.log");
  } catch (error) {
    message = (error as Error).message;
  }
  assertEquals(message.startsWith("Cannot open the log file /nonexistent-dir/access.log:"), true);
});
