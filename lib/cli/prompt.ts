/**
 * Line input for prompts (answers, passphrases, status 10 and 11 input, line-mode commands):
 * one reader per input stream, so the bytes after a newline wait for the next prompt instead
 * of being lost, and one set of keys that every prompt understands the same way.
 *
 * @module
 */

import type { CliIo, Output } from "./io.ts";

/** Longest line kept, in bytes; a longer one is refused. */
export const MAX_LINE_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DEL = 0x7f;

/**
 * Lines from a byte stream. A line ends at LF, CR or CRLF (a terminal in raw mode sends CR for
 * Enter; the LF of a CRLF split between two reads is skipped too). The keys a terminal in raw
 * mode delivers as bytes act as they would in a cooked terminal: Backspace (DEL or BS) deletes
 * the character before it, Ctrl-D on an empty line is the end of input (and ends a line that
 * is not empty), Ctrl-C interrupts. The stream is locked only while a read is waiting, so
 * other readers may take it between lines.
 */
export class LineInput {
  #stream: ReadableStream<Uint8Array>;
  #buffer = new Uint8Array(0);
  #ended = false;
  #skipLf = false;
  /** The rest of a line that was too long is being dropped. */
  #discarding = false;
  #queue: Promise<unknown> = Promise.resolve();

  /** Line input from `stream`. Prefer {@linkcode lineInput}, which shares one per stream. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#stream = stream;
  }

  /**
   * The next line without its end; `null` at the end of input. Calls wait for each other, in
   * order.
   *
   * @throws {Deno.errors.Interrupted} on Ctrl-C (what was typed before it is dropped)
   * @throws {RangeError} when a line is longer than {@linkcode MAX_LINE_BYTES}
   */
  readLine(): Promise<string | null> {
    const next = this.#queue.then(() => this.#next());
    this.#queue = next.catch(() => {});
    return next;
  }

  async #next(): Promise<string | null> {
    for (let scanned = 0;;) {
      const end = this.#lineEnd(scanned);
      if (end >= 0) {
        const { line, byte } = this.#consume(end);
        if (this.#discarding) {
          // The end of a line that was too long: it is dropped, the next one is read.
          this.#discarding = false;
          scanned = 0;
          continue;
        }
        if (byte === CTRL_C) throw new Deno.errors.Interrupted("Interrupted");
        if (byte === CTRL_D && line.length === 0) return null;
        return lineText(line);
      }
      scanned = this.#buffer.length;
      if (this.#discarding || scanned > MAX_LINE_BYTES) {
        this.#buffer = new Uint8Array(0);
        scanned = 0;
        if (!this.#discarding) {
          this.#discarding = true;
          throw new RangeError(`Input line longer than ${MAX_LINE_BYTES} bytes`);
        }
      }
      if (!(await this.#fill())) return this.#rest();
    }
  }

  /** What is left at the end of input: a last line without its end, or `null`. */
  #rest(): string | null {
    const rest = this.#buffer;
    this.#buffer = new Uint8Array(0);
    const dropped = this.#discarding;
    this.#discarding = false;
    return rest.length === 0 || dropped ? null : lineText(rest);
  }

  /** Index of the first byte that ends a line (from `from` on), or -1. */
  #lineEnd(from: number): number {
    if (this.#skipLf && this.#buffer.length > 0) {
      this.#skipLf = false;
      if (this.#buffer[0] === LF) this.#buffer = this.#buffer.subarray(1);
    }
    for (let i = from; i < this.#buffer.length; i++) {
      const b = this.#buffer[i];
      if (b === LF || b === CR || b === CTRL_C || b === CTRL_D) return i;
    }
    return -1;
  }

  /** Takes the line that ends at byte `end` and its end out of the buffer. */
  #consume(end: number): { line: Uint8Array; byte: number } {
    const byte = this.#buffer[end];
    const line = this.#buffer.subarray(0, end);
    let next = end + 1;
    if (byte === CR) {
      if (next >= this.#buffer.length) this.#skipLf = true;
      else if (this.#buffer[next] === LF) next++;
    }
    this.#buffer = this.#buffer.subarray(next);
    return { line, byte };
  }

  /** Reads more bytes into the buffer; `false` at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const reader = this.#stream.getReader();
    try {
      const { value, done } = await reader.read();
      if (done) {
        this.#ended = true;
        return false;
      }
      const joined = new Uint8Array(this.#buffer.length + value.length);
      joined.set(this.#buffer);
      joined.set(value, this.#buffer.length);
      this.#buffer = joined;
      return true;
    } finally {
      reader.releaseLock();
    }
  }
}

/**
 * The text of a line's bytes (UTF-8, invalid bytes as U+FFFD) with its Backspaces applied,
 * each deleting one character (code point) before it.
 */
function lineText(bytes: Uint8Array): string {
  const chars: string[] = [];
  for (const ch of new TextDecoder().decode(bytes)) {
    const code = ch.charCodeAt(0);
    if (code === DEL || code === BACKSPACE) chars.pop();
    else chars.push(ch);
  }
  return chars.join("");
}

const INPUTS = new WeakMap<ReadableStream<Uint8Array>, LineInput>();

/**
 * The {@linkcode LineInput} of `stream`, the same one for every caller, so that what one
 * prompt read past its newline reaches the next prompt.
 *
 * @example
 * ```ts
 * import { lineInput } from "./prompt.ts";
 * import assert from "node:assert/strict";
 * const stream = new Blob(["one\r\ntwo\nthree"]).stream();
 * assert.equal(await lineInput(stream).readLine(), "one");
 * assert.equal(await lineInput(stream).readLine(), "two");
 * assert.equal(await lineInput(stream).readLine(), "three");
 * assert.equal(await lineInput(stream).readLine(), null);
 * ```
 */
export function lineInput(stream: ReadableStream<Uint8Array>): LineInput {
  let input = INPUTS.get(stream);
  if (!input) {
    input = new LineInput(stream);
    INPUTS.set(stream, input);
  }
  return input;
}

/** Options for {@linkcode readLine}. */
export interface ReadLineOptions {
  /**
   * Read without echo (passphrases, sensitive input): the terminal is put in raw mode for the
   * line, and a newline is written to `output` after it, since the Enter key was not echoed.
   * Default false.
   */
  hidden?: boolean;
  /** Where the prompt was written (for the newline after hidden input). Default stderr. */
  output?: Output;
}

/**
 * Reads one line from the CLI's standard input for a prompt: `null` at the end of input.
 * Hidden input uses raw mode only when stdin is a terminal. See {@linkcode LineInput} for the
 * keys it understands.
 *
 * @example
 * ```ts
 * import { readLine } from "./prompt.ts";
 * import { memoryIo } from "./io.ts";
 * import assert from "node:assert/strict";
 * const io = memoryIo({ stdin: "y\nsecret\x7f\x7fet\r", terminal: true });
 * assert.equal(await readLine(io), "y");
 * assert.equal(await readLine(io, { hidden: true }), "secret");
 * assert.equal(io.stderr.text(), "\n");
 * assert.equal(await readLine(io), null);
 * ```
 *
 * @throws {Deno.errors.Interrupted} on Ctrl-C
 */
export async function readLine(io: CliIo, options: ReadLineOptions = {}): Promise<string | null> {
  const raw = options.hidden === true && io.stdinIsTerminal;
  if (raw) io.setRaw(true);
  try {
    return await lineInput(io.stdin).readLine();
  } finally {
    if (raw) {
      io.setRaw(false);
      await (options.output ?? io.stderr).write("\n");
    }
  }
}

/**
 * Whether `error` is the Ctrl-C of a prompt (see {@linkcode LineInput}).
 *
 * @example
 * ```ts
 * import { isInterrupt, lineInput } from "./prompt.ts";
 * import assert from "node:assert/strict";
 * const input = lineInput(new Blob(["ab\x03cd\n"]).stream());
 * const error = await input.readLine().catch((e) => e);
 * assert.equal(isInterrupt(error), true);
 * assert.equal(await input.readLine(), "cd");
 * ```
 */
export function isInterrupt(error: unknown): boolean {
  return error instanceof Deno.errors.Interrupted;
}
