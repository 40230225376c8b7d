/**
 * Running `gemini serve` in process (through runServe) for the CLI tests: start it, wait
 * for the port it listens on, run the test body, stop it and check it exited with 0.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { waitForValue } from "../_helpers/wait.ts";
import type { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import type { CheckScheduler } from "../../lib/cli/serve_certificates.ts";

/** The io the in-process server writes to. */
export type ServeIo = ReturnType<typeof memoryIo>;

/**
 * Runs `gemini serve ARGS` (which must listen on 127.0.0.1) with `io`, calls `body` with
 * its port once it listens, then stops it. Fails with its stderr if it does not start
 * within 30 s (or reports an error first) or does not exit with 0. `schedule` replaces the
 * daily certificate check's timer.
 */
export async function whileServing(
  args: string[],
  io: ServeIo,
  body: (port: number, io: ServeIo) => Promise<void>,
  schedule?: CheckScheduler,
): Promise<void> {
  const stop = new AbortController();
  const running = runServe(args, io, stop.signal, undefined, { schedule });
  try {
    const port = await waitForValue(
      () => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(io.stderr.text());
        if (m) return Number(m[1]);
        if (io.stderr.text().includes("gemini serve:")) return 0; // it failed to start
      },
      "gemini serve to listen",
      { timeoutMs: 30_000, intervalMs: 25 },
    ).catch(() => 0);
    assert(port > 0, io.stderr.text());
    await body(port, io);
  } finally {
    stop.abort();
    assertEquals(await running, 0, io.stderr.text());
  }
}
