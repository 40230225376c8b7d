/**
 * Running `gemini serve` in process (through runServe) for the CLI tests: start it, wait
 * for the port it listens on, run the test body, stop it and check it exited with 0.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { waitForValue } from "../_helpers/wait.ts";
import type { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import type { CheckScheduler } from "../../lib/cli/serve_certificates.ts";
import { Output } from "../_helpers/output.ts";
import { GEMINI } from "../_helpers/launcher.ts";

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

/**
 * Runs `./gemini serve ARGS` as a child process (the launcher, as operators run it; the
 * configuration must listen on 127.0.0.1), calls `body` with the child, its standard error
 * and its port once it listens (within `timeoutMs`), then sends SIGTERM and checks that it
 * exited with 0.
 */
export async function withServeChild(
  args: string[],
  env: Record<string, string>,
  body: (child: Deno.ChildProcess, out: Output, port: number) => Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  const child = new Deno.Command(GEMINI, {
    args: ["serve", ...args],
    env,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const out = new Output(child.stderr);
  try {
    const port = Number((await out.waitFor(/listening on 127\.0\.0\.1:(\d+)\n/, 0, timeoutMs))[1]);
    await body(child, out, port);
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await out.done;
    assertEquals(status.code, 0, out.text);
  }
}
