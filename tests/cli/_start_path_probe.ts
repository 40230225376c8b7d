/**
 * Runs the supervisor's start path of `gemini serve` in this process, for
 * serve_start_modules_test.ts, which runs it under an import map that makes `node:crypto`
 * and `node:net` throw when loaded: `--check`, then a start on 127.0.0.1:0, one run of the
 * daily certificate check, and a stop. Usage: `_start_path_probe.ts GEMINI_HOME`. Prints
 * `probe: ok` and what the server wrote, and exits 0, when all of it succeeded; otherwise
 * prints what failed and exits 1.
 */

import { waitForValue } from "../_helpers/wait.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";

const encoder = new TextEncoder();

function say(text: string): void {
  const bytes = encoder.encode(text + "\n");
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

let log = "";

async function probe(home: string): Promise<string | undefined> {
  const env = { GEMINI_HOME: home };
  const check = memoryIo({ env });
  const checked = await runServe(
    ["--check", "--listen", "127.0.0.1:0"],
    check,
    new AbortController().signal,
  );
  if (checked !== 0) return `--check exited with ${checked}: ${check.stderr.text()}`;
  const io = memoryIo({ env });
  let daily: (() => Promise<void>) | undefined;
  const stop = new AbortController();
  const running = runServe(["--listen", "127.0.0.1:0"], io, stop.signal, undefined, {
    schedule: (c) => {
      daily = c;
      return () => (daily = undefined);
    },
  });
  let failure: string | undefined;
  try {
    const started = await waitForValue(
      () => {
        const text = io.stderr.text();
        if (/listening on 127\.0\.0\.1:\d+/.test(text)) return true;
        if (text.includes("gemini serve:")) return false;
      },
      "gemini serve to listen",
      { timeoutMs: 30_000, intervalMs: 25 },
    );
    if (!started) failure = `the start failed: ${io.stderr.text()}`;
    else if (!daily) failure = "no daily certificate check was scheduled";
    else await daily();
  } finally {
    stop.abort();
  }
  const code = await running;
  log = check.stderr.text() + io.stderr.text();
  if (failure) return failure;
  if (code !== 0) return `gemini serve exited with ${code}: ${io.stderr.text()}`;
  if (/certificate check failed/.test(io.stderr.text())) {
    return `the daily check failed: ${io.stderr.text()}`;
  }
  return undefined;
}

const failure = await probe(Deno.args[0]).catch((error) => `probe error: ${error?.stack}`);
if (failure) {
  say(failure);
  Deno.exit(1);
}
say(`probe: ok\n${log}`);
Deno.exit(0);
