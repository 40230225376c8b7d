/**
 * The streaming gemtext parser: feed it bytes or text in chunks split anywhere and it hands
 * back each line as soon as the line is complete.
 *
 * @module
 */

import {
  _classifyLine,
  type _State,
  _streamWork,
  _stripLeadingBom,
  _stripTrailingCr,
  type _Work,
} from "./_core.ts";
import type { GemtextLine } from "./types.ts";

/** Options for {@linkcode GemtextStreamParser} and {@linkcode parseGemtextStream}. */
export interface GemtextStreamParserOptions {
  /**
   * The most UTF-16 code units kept of one line; the rest of a longer line is dropped, so an
   * endless line cannot grow memory without bound. Shorter lines are unaffected. Must be a
   * positive integer. Default: 1,048,576 (1 Mi).
   */
  maxLineLength?: number;
}

/** The default of {@linkcode GemtextStreamParserOptions.maxLineLength}. */
export const DEFAULT_MAX_LINE_LENGTH = 1 << 20;

/**
 * Incremental gemtext parser. Bytes are decoded as UTF-8 (invalid sequences become U+FFFD);
 * chunks may split a UTF-8 sequence, a CRLF pair or anything else. For any split, the lines
 * returned by all `push()` calls followed by `end()` equal `parseGemtext()` of the whole
 * decoded text (as long as no line is longer than `maxLineLength`). Never throws on input.
 *
 * @example Chunks split inside a UTF-8 sequence and between CR and LF
 * ```ts
 * import { GemtextStreamParser } from "./stream.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("# Café\r\n=> /a");
 * const parser = new GemtextStreamParser();
 * const lines = [
 *   ...parser.push(bytes.subarray(0, 5)), // ends inside "é"
 *   ...parser.push(bytes.subarray(5, 8)), // ends between CR and LF
 *   ...parser.push(bytes.subarray(8)),
 *   ...parser.end(), // the last line has no LF
 * ];
 * assert(lines.length === 2);
 * assert(lines[0].type === "heading" && lines[0].text === "Café");
 * assert(lines[1].type === "link" && lines[1].url === "/a");
 * ```
 */
export class GemtextStreamParser {
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #decoding = false;
  #pieces: string[] = [];
  #pendingLength = 0;
  #overflow = false;
  #atStart = true;
  #state: _State = { preformatted: false };
  #maxLineLength: number;

  /**
   * Creates a parser in its initial state (outside any preformatted block).
   *
   * @param options See {@linkcode GemtextStreamParserOptions}.
   * @throws {RangeError} when `maxLineLength` is not a positive integer.
   */
  constructor(options: GemtextStreamParserOptions = {}) {
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${max}`);
    }
    this.#maxLineLength = max;
  }

  /**
   * Feeds the next chunk and returns the lines it completed (possibly none). A string chunk
   * first completes any UTF-8 sequence left open by earlier byte chunks (as U+FFFD).
   *
   * @example
   * ```ts
   * import { GemtextStreamParser } from "./stream.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new GemtextStreamParser();
   * assert(parser.push("* one\n* tw").length === 1);
   * assert(parser.push("o\n").length === 1);
   * assert(parser.end().length === 0);
   * ```
   */
  push(chunk: Uint8Array | string): GemtextLine[] {
    let text: string;
    if (typeof chunk === "string") {
      text = this.#flushDecoder() + chunk;
    } else {
      text = this.#decoder.decode(chunk, { stream: true });
      this.#decoding = true;
    }
    const out: GemtextLine[] = [];
    this.#feed(text, out);
    return out;
  }

  /**
   * Ends the document: returns the last line if it had no LF, and resets the parser so it
   * can read a new document.
   *
   * @example
   * ```ts
   * import { GemtextStreamParser } from "./stream.ts";
   * import assert from "node:assert/strict";
   *
   * const parser = new GemtextStreamParser();
   * assert(parser.push("`".repeat(3) + "\nno closing toggle").length === 1);
   * const last = parser.end();
   * assert(last.length === 1 && last[0].type === "preformatted");
   * ```
   */
  end(): GemtextLine[] {
    const out: GemtextLine[] = [];
    this.#feed(this.#flushDecoder(), out);
    if (this.#pendingLength > 0) out.push(this.#takeLine());
    this.#decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    this.#atStart = true;
    this.#state = { preformatted: false };
    return out;
  }

  #flushDecoder(): string {
    if (!this.#decoding) return "";
    this.#decoding = false;
    return this.#decoder.decode();
  }

  #feed(input: string, out: GemtextLine[]): void {
    let text = input;
    if (this.#atStart && text !== "") {
      text = _stripLeadingBom(text);
      if (text !== "") this.#atStart = false;
    }
    const work = _streamWork.get(this);
    let pos = 0;
    while (true) {
      const newline = text.indexOf("\n", pos);
      if (work) work.steps += (newline === -1 ? text.length : newline) - pos + 1;
      if (newline === -1) {
        this.#append(text.slice(pos));
        return;
      }
      this.#append(text.slice(pos, newline));
      out.push(this.#takeLine(work));
      pos = newline + 1;
    }
  }

  #append(part: string): void {
    if (part === "" || this.#overflow) return;
    let kept = part;
    const room = this.#maxLineLength - this.#pendingLength;
    if (kept.length > room) {
      kept = kept.slice(0, room);
      this.#overflow = true;
    }
    if (kept !== "") this.#pieces.push(kept);
    this.#pendingLength += kept.length;
  }

  #takeLine(work?: _Work): GemtextLine {
    const raw = this.#pieces.length === 1 ? this.#pieces[0] : this.#pieces.join("");
    if (work) work.steps += raw.length + 1;
    this.#pieces = [];
    this.#pendingLength = 0;
    this.#overflow = false;
    return _classifyLine(_stripTrailingCr(raw, work), this.#state, work);
  }
}

/**
 * Parses a gemtext body as it arrives, yielding each line once it is complete. Accepts a
 * `ReadableStream` or any async iterable of byte (or string) chunks, e.g. a response body.
 *
 * @example
 * ```ts
 * import { parseGemtextStream } from "./stream.ts";
 * import assert from "node:assert/strict";
 *
 * const body = ReadableStream.from([new TextEncoder().encode("# Title\n> quo"), "te\n"]);
 * const types: string[] = [];
 * for await (const line of parseGemtextStream(body)) types.push(line.type);
 * assert(types.join() === "heading,quote");
 * ```
 *
 * @param source The body chunks.
 * @param options See {@linkcode GemtextStreamParserOptions}.
 */
export async function* parseGemtextStream(
  source: ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
  options: GemtextStreamParserOptions = {},
): AsyncGenerator<GemtextLine> {
  const parser = new GemtextStreamParser(options);
  if ("getReader" in source) {
    const reader = source.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        yield* parser.push(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    for await (const chunk of source) yield* parser.push(chunk);
  }
  yield* parser.end();
}
