/**
 * The server under test for the soak benchmark: `./gemini serve` run as a user runs it, as a
 * child process with the configuration of `gemini serve DIR` except the TLS backend (a small
 * config file), on 127.0.0.1 with a port the kernel chooses, `GEMINI_HOME` in a work folder.
 * It reads the server's error log as it comes, keeps the lines that announce a worker
 * recycle, and measures the resident memory of the server's process tree.
 *
 * @module
 */

import { join } from "node:path";
import { sampleTree } from "../proc.ts";

/** The TLS backends `gemini serve` can run on. */
export type Backend = "node" | "deno";

/** A line of the error log that announces a worker recycle, and when it was read. */
export interface RecycleLine {
  /** `Date.now()` when the line was read. */
  at: number;
  /** The line, without its newline. */
  line: string;
}

/** Recycle announcements: the error-log line each finished recycle writes (one per recycle). */
export const RECYCLE_PATTERN = /worker recycled/;

/** Options for {@linkcode SoakServer.start}. */
export interface SoakServerOptions {
  /** The `./gemini` launcher (or a compiled binary). */
  gemini: string;
  /** Work folder: the capsule, GEMINI_HOME and the config file go here. */
  workDir: string;
  /** TLS backend. */
  backend: Backend;
  /** Time allowed for start-up, ms. Default 60000. */
  startTimeoutMs?: number;
}

/** A page of about 1 KiB, the capsule's home page. */
export function homePage(): string {
  let text = "# Soak test capsule\n\n";
  for (let i = 0; text.length < 1024; i++) text += `=> /page-${i}.gmi Page ${i}\n`;
  return text;
}

/**
 * The configuration file: what `gemini serve capsule/` runs with (host `localhost`, every
 * default), plus the TLS backend. `DIR` and `--config` cannot be combined, so the capsule
 * is the host's `root` (relative to the file).
 */
export function configFile(backend: Backend): string {
  return [
    "# Written by bench/soak.ts: the defaults of `gemini serve capsule/`, and the backend.",
    `backend = "${backend}"`,
    "",
    "[[host]]",
    'name = "localhost"',
    'root = "capsule"',
    "",
  ].join("\n");
}

const decoder = new TextDecoder();

/** A running `gemini serve`. */
export class SoakServer {
  /** The backend it serves with. */
  readonly backend: Backend;
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** The command line, for the report (paths relative to the work folder's parent). */
  readonly command: string;
  #child: Deno.ChildProcess;
  #exited: Deno.CommandStatus | undefined;
  #recycles: RecycleLine[] = [];
  #tail: string[] = [];

  private constructor(
    backend: Backend,
    port: number,
    command: string,
    child: Deno.ChildProcess,
  ) {
    this.backend = backend;
    this.port = port;
    this.command = command;
    this.#child = child;
    child.status.then((status) => (this.#exited = status));
  }

  /** Prepares the work folder, starts the server and waits for its "listening on" line. */
  static async start(options: SoakServerOptions): Promise<SoakServer> {
    const { workDir, backend } = options;
    const capsule = join(workDir, "capsule");
    const home = join(workDir, "home");
    const config = join(workDir, `${backend}.toml`);
    await Deno.mkdir(capsule, { recursive: true });
    await Deno.mkdir(home, { recursive: true });
    await Deno.writeTextFile(join(capsule, "index.gmi"), homePage());
    await Deno.writeTextFile(config, configFile(backend));
    const args = ["serve", "--config", config, "--listen", "127.0.0.1:0"];
    const child = new Deno.Command(options.gemini, {
      args,
      env: { GEMINI_HOME: home, NO_COLOR: "1" },
      stdin: "null",
      stdout: "null", // the access log: one line per request
      stderr: "piped",
    }).spawn();
    const lines = readLines(child.stderr);
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const startup: string[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    let port: number | undefined;
    try {
      while (port === undefined) {
        const next = await Promise.race([lines.next(), timeout]);
        if (next === undefined) throw new Error(`no "listening on" line in ${timeoutMs} ms`);
        if (next.done) throw new Error("the server exited during start-up");
        startup.push(next.value);
        const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(next.value);
        if (match) port = Number(match[1]);
      }
    } catch (error) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      throw new Error(`gemini serve (${backend}) did not start:\n${startup.join("\n")}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
    const command = `GEMINI_HOME=${home} ${options.gemini} ${args.join(" ")}`;
    const server = new SoakServer(backend, port, command, child);
    server.#follow(lines);
    return server;
  }

  /** The PID of the server (the root of its process tree). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resident memory of the server's process tree now, KiB; 0 once it has exited. */
  rssKiB(): number {
    return this.alive() ? sampleTree(this.#child.pid).rssKiB : 0;
  }

  /** Whether the server process is still running. */
  alive(): boolean {
    return this.#exited === undefined;
  }

  /** How it exited, once it has. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exited;
  }

  /** Recycle announcements read so far. */
  recycles(): readonly RecycleLine[] {
    return this.#recycles;
  }

  /** The last lines of the error log (up to 20). */
  tail(): readonly string[] {
    return this.#tail;
  }

  /** Ends the server at once (SIGKILL), e.g. before it takes the machine's memory. */
  kill(): void {
    if (!this.alive()) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive()) return;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await this.#child.status;
    }
  }

  async #follow(lines: AsyncGenerator<string>): Promise<void> {
    try {
      for await (const line of lines) {
        if (RECYCLE_PATTERN.test(line)) this.#recycles.push({ at: Date.now(), line });
        this.#tail.push(line);
        if (this.#tail.length > 20) this.#tail.shift();
      }
    } catch {
      // the pipe closed with the process
    }
  }
}

/** The lines of a byte stream, without their newlines. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let end = pending.indexOf("\n");
    while (end >= 0) {
      yield pending.slice(0, end);
      pending = pending.slice(end + 1);
      end = pending.indexOf("\n");
    }
  }
  if (pending !== "") yield pending;
}
