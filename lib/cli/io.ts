/**
 * The streams and environment a subcommand talks to, so that subcommands can be run in
 * tests with captured output, and only `cli.ts` touches the real process.
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";

/** Something a subcommand can write text or bytes to. */
export interface Output {
  /** Writes all of `data`. */
  write(data: string | Uint8Array): Promise<void>;
  /** Whether this output is a terminal (colour, progress bars, prompts). */
  readonly isTerminal: boolean;
}

/** Everything a subcommand may use from its process. */
export interface CliIo {
  /** Standard output. */
  stdout: Output;
  /**
   * Standard error: messages, warnings, progress. For the real process its writes complete
   * before `write()` returns, so a diagnostic reaches stderr even when nobody awaits it.
   */
  stderr: Output;
  /** Standard input as a byte stream. */
  stdin: ReadableStream<Uint8Array>;
  /** Whether standard input is a terminal (prompts are possible). */
  stdinIsTerminal: boolean;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** The terminal width in columns, or `undefined` when unknown. */
  columns(): number | undefined;
  /** Sets raw mode on the terminal behind stdin (for hidden input and key handling). */
  setRaw(raw: boolean): void;
}

function denoOutput(file: typeof Deno.stdout | typeof Deno.stderr): Output {
  const encoder = new TextEncoder();
  return {
    isTerminal: file.isTerminal(),
    async write(data: string | Uint8Array): Promise<void> {
      let bytes = typeof data === "string" ? encoder.encode(data) : data;
      while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
    },
  };
}

/** Blocks the thread for about `ms` milliseconds (for a full non-blocking pipe). */
function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Standard error, written synchronously: every message is in the pipe or on the terminal
 * when `write()` returns, so a warning is never lost when the process exits right after it,
 * whether or not its caller awaited the write (Deno drops pending asynchronous writes on
 * exit). Messages are short; a reader that is slow only delays them.
 */
function syncOutput(file: typeof Deno.stderr): Output {
  const encoder = new TextEncoder();
  return {
    isTerminal: file.isTerminal(),
    write(data: string | Uint8Array): Promise<void> {
      let bytes = typeof data === "string" ? encoder.encode(data) : data;
      try {
        while (bytes.length > 0) {
          try {
            bytes = bytes.subarray(file.writeSync(bytes));
          } catch (error) {
            // A non-blocking pipe that is full: wait for the reader, still synchronously.
            if (!(error instanceof Deno.errors.WouldBlock)) throw error;
            pauseSync(5);
          }
        }
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve();
    },
  };
}

/**
 * The real process: Deno's stdin, stdout, stderr and environment.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * import assert from "node:assert";
 * const io = processIo();
 * assert.ok(typeof io.stdout.isTerminal === "boolean");
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: denoOutput(Deno.stdout),
    stderr: syncOutput(Deno.stderr),
    stdin: Deno.stdin.readable,
    stdinIsTerminal: Deno.stdin.isTerminal(),
    env: (name) => Deno.env.get(name),
    columns(): number | undefined {
      for (const file of [Deno.stdout, Deno.stderr, Deno.stdin]) {
        try {
          if (file.isTerminal()) return Deno.consoleSize().columns;
        } catch {
          // not a terminal after all
        }
      }
      return undefined;
    },
    setRaw(raw: boolean): void {
      if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(raw, { cbreak: false });
    },
  };
}

/** A captured output for tests: everything written, as bytes and text. */
export interface CapturedOutput extends Output {
  /** Everything written so far, decoded as UTF-8. */
  text(): string;
  /** Everything written so far, as bytes. */
  bytes(): Uint8Array;
}

/**
 * An in-memory output that records what is written (for tests and for the library).
 *
 * @example
 * ```ts
 * import { captureOutput } from "./io.ts";
 * import assert from "node:assert";
 * const out = captureOutput();
 * await out.write("hi");
 * assert.ok(out.text() === "hi");
 * ```
 */
export function captureOutput(isTerminal = false): CapturedOutput {
  const chunks: Uint8Array[] = [];
  const encoder = new TextEncoder();
  const bytes = (): Uint8Array => concatBytes(chunks);
  return {
    isTerminal,
    write(data: string | Uint8Array): Promise<void> {
      chunks.push(typeof data === "string" ? encoder.encode(data) : data.slice());
      return Promise.resolve();
    },
    bytes,
    text: () => new TextDecoder().decode(bytes()),
  };
}

/** Options for {@linkcode memoryIo}. */
export interface MemoryIoOptions {
  /** Environment variables visible to the command. */
  env?: Record<string, string>;
  /** Bytes or text on standard input. */
  stdin?: string | Uint8Array;
  /** Pretend the outputs are terminals. */
  terminal?: boolean;
  /** Terminal width. */
  columns?: number;
}

/** A {@linkcode CliIo} whose outputs are captured. */
export interface MemoryIo extends CliIo {
  /** Captured standard output. */
  stdout: CapturedOutput;
  /** Captured standard error. */
  stderr: CapturedOutput;
}

/**
 * A {@linkcode CliIo} for tests: captured outputs, given stdin and environment.
 *
 * @example
 * ```ts
 * import { memoryIo } from "./io.ts";
 * import assert from "node:assert";
 * const io = memoryIo({ env: { NO_COLOR: "1" } });
 * assert.ok(io.env("NO_COLOR") === "1");
 * ```
 */
export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin ?? new Uint8Array();
  return {
    stdout: captureOutput(options.terminal ?? false),
    stderr: captureOutput(options.terminal ?? false),
    stdin: new ReadableStream({
      start(controller): void {
        if (input.length > 0) controller.enqueue(input);
        controller.close();
      },
    }),
    stdinIsTerminal: options.terminal ?? false,
    env: (name) => options.env?.[name],
    columns: () => options.columns,
    setRaw: () => {},
  };
}
