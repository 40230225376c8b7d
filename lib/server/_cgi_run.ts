/**
 * One run of a CGI program: starting it, logging its standard error, its deadline and
 * killing everything it started. Internal to the server.
 *
 * @module
 */

import { dirname } from "node:path";
import type { ChunkSource } from "../tls/header_body.ts";
import { _killRun } from "./_process_tree.ts";

/** The environment entry that marks every process of one run. */
export interface _RunMark {
  /** The variable's name. */
  variable: string;
  /** Its value, unique to the run. */
  value: string;
}

/** Logs each line of `reader` (at most 1000, of at most 8 KiB each) until its end. */
async function pumpStderr(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  log: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  let lines = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        if (lines++ < 1000) log(pending.slice(0, nl).replace(/\r$/, ""));
        pending = pending.slice(nl + 1);
      }
      if (pending.length > 8192) {
        if (lines++ < 1000) log(pending);
        pending = "";
      }
    }
  } catch {
    // the pipe broke when the program was killed
  }
  if (pending !== "" && lines < 1000) log(pending);
}

/**
 * One running CGI program: its output readers, its deadline and its kill. At the deadline
 * (or when the request is aborted) the program's process group, its descendants and any
 * process that carries this run's mark in its environment are killed, and both output
 * pipes are cancelled, so the response ends then even if some process still holds them.
 */
export class _CgiRun {
  /** The program's standard output. */
  readonly stdout: ReadableStreamDefaultReader<Uint8Array>;
  /** The same output as a chunk source (`null` at its end). */
  readonly source: ChunkSource = {
    read: async (): Promise<Uint8Array | null> => {
      const { value, done } = await this.stdout.read();
      return done ? null : value;
    },
  };
  /** Resolves when the program's standard error has been logged to its end. */
  readonly stderrDone: Promise<void>;
  /** Resolves when the program (the process we started) has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** How the program exited, once it has. */
  exited: Deno.CommandStatus | undefined;
  /** Whether the deadline passed (and the run was killed for it). */
  timedOut = false;
  #child: Deno.ChildProcess;
  #stderr: ReadableStreamDefaultReader<Uint8Array>;
  #ownGroup: boolean;
  #mark: _RunMark;
  #killed = false;
  #finished = false;
  #timer: ReturnType<typeof setTimeout>;
  #signal: AbortSignal;
  #onAbort = (): void => this.kill();

  /**
   * Watches `child`: its standard error goes to `logStderr` line by line, and it is killed
   * after `timeoutMs` or when `signal` aborts.
   */
  constructor(
    child: Deno.ChildProcess,
    options: { ownGroup: boolean; mark: _RunMark; timeoutMs: number; signal: AbortSignal },
    logStderr: (line: string) => void,
  ) {
    this.#child = child;
    this.#ownGroup = options.ownGroup;
    this.#mark = options.mark;
    this.#signal = options.signal;
    this.status = child.status.then((s) => (this.exited = s));
    this.stdout = child.stdout.getReader();
    this.#stderr = child.stderr.getReader();
    this.stderrDone = pumpStderr(this.#stderr, logStderr);
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, options.timeoutMs);
    this.#signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Kills everything of this run and ends both output pipes. Idempotent. */
  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    _killRun({ pid: this.#child.pid, ownGroup: this.#ownGroup, ...this.#mark });
    this.stdout.cancel().catch(() => {});
    this.#stderr.cancel().catch(() => {});
  }

  /** Waits for the program and its standard error, then drops the deadline. */
  async finish(): Promise<void> {
    await this.status;
    await this.stderrDone;
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#signal.removeEventListener("abort", this.#onAbort);
  }

  /** How the program ended, for the log. */
  get howItEnded(): string {
    const exited = this.exited;
    return exited?.signal
      ? `was killed by ${exited.signal}`
      : exited?.success
      ? "exited without writing a response header"
      : `exited with status ${exited?.code}`;
  }
}

/** Whether {@linkcode _spawnProgram} starts programs in a session of their own. */
export const _OWN_SESSION = Deno.build.os !== "windows";

/**
 * Starts `program` in its own directory with exactly `env`, in a new session (so also a
 * process group of its own, PID = PGID = SID) where there are sessions: Deno's `detached`
 * option calls setsid(2) in the child, so no `setsid` program is needed and Deno's `run`
 * permission can list exactly the CGI programs. Throws when it cannot.
 */
export function _spawnProgram(program: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(program, {
    cwd: dirname(program),
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: _OWN_SESSION,
  }).spawn();
}
