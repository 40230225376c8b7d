/**
 * Header-then-body streaming: read chunks from a source until a pure `scan` finds a
 * complete header (under a byte cap and a deadline), then hand back the header and a
 * `ReadableStream` of the body that yields the bytes read past the header first and then
 * the rest of the source. The server reads CGI output and a proxied upstream's answer this
 * way; a Gemini client can read a response the same way.
 *
 * @module
 */

import { type DeadlineOptions, withDeadline } from "./deadline.ts";

/** Where the bytes come from, one chunk at a time (a `Connection` is one). */
export interface ChunkSource {
  /** The next chunk, or `null` at the end. */
  read(): Promise<Uint8Array | null>;
}

/** What a scan reports once the header is complete. */
export interface ScannedHeader<H> {
  /** The parsed header. */
  header: H;
  /** Where the body starts in the bytes scanned. */
  bodyStart: number;
}

/**
 * Looks for a complete header at the start of `bytes` (everything read so far): returns
 * it, or `null` when more bytes are needed, or throws when the bytes cannot be a header.
 * `scanResponseHeader` (lib/protocol) is one.
 */
export type HeaderScan<H> = (bytes: Uint8Array) => ScannedHeader<H> | null;

/** What the body stream does at its end, on a failed read and when it is cancelled. */
export interface BodyHooks {
  /**
   * Runs when the source has ended, before the stream closes. Throwing (or rejecting) fails
   * the stream with that error instead, e.g. when the end came too early.
   */
  onEnd?(): void | Promise<void>;
  /** Runs when a read from the source fails, before the stream fails with that error. */
  onError?(error: unknown): void | Promise<void>;
  /** Runs when the reader cancels the stream. */
  onCancel?(reason: unknown): void | Promise<void>;
}

/** Options for {@linkcode readHeaderThenBody}. */
export interface HeaderThenBodyOptions extends BodyHooks {
  /**
   * The most bytes read while the header is incomplete; past it the read fails with a
   * `RangeError`. Default 65536. (A scan usually has its own, lower limit.)
   */
  maxHeaderBytes?: number;
  /**
   * When reading the header must end: a deadline (`at`, rejecting with a `DeadlineError`
   * whose message is `message`) and an abort signal (rejecting with its reason). Default:
   * no deadline. Each read of the body is not limited.
   */
  deadline?: DeadlineOptions;
  /** Called once, when the first chunk arrives (e.g. to time the first byte). */
  onFirstChunk?(): void;
  /**
   * Chunks the body stream reads ahead of its reader. Default 0: nothing is read from the
   * source before the reader asks, so a body nobody reads leaves the source alone.
   */
  highWaterMark?: number;
}

/** The header and the body after it. */
export interface HeaderThenBody<H> {
  /** The header the scan found. */
  header: H;
  /** The bytes after the header: those read with it, then the rest of the source. */
  body: ReadableStream<Uint8Array>;
}

/** The source ended before the header was complete. */
export class IncompleteHeaderError extends Error {
  /** How many bytes arrived before the end (0 when none did). */
  readonly received: number;

  /** Creates the error; `received` is the number of bytes that did arrive. */
  constructor(received: number, options?: ErrorOptions) {
    super(
      received === 0
        ? "The source ended before a header"
        : `The source ended in the middle of the header (${received} bytes)`,
      options,
    );
    this.name = "IncompleteHeaderError";
    this.received = received;
  }
}

/**
 * Reads `source` until `scan` finds the header, then returns it with the body stream.
 * Rejects with an {@linkcode IncompleteHeaderError} when the source ends first, with what
 * `scan` throws, with a `RangeError` past `maxHeaderBytes`, and with the deadline's error.
 * Until it resolves, the source is the caller's to release on failure; after, the body
 * stream reads it and runs the hooks.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { readHeaderThenBody } from "./header_body.ts";
 * const chunks = ["20 text/gem", "ini\r\nHello, ", "world\n"].map((s) => new TextEncoder().encode(s));
 * const source = { read: () => Promise.resolve(chunks.shift() ?? null) };
 * const scan = (bytes: Uint8Array) => {
 *   const lf = bytes.indexOf(10);
 *   return lf < 0 ? null : { header: new TextDecoder().decode(bytes.subarray(0, lf + 1)), bodyStart: lf + 1 };
 * };
 * const { header, body } = await readHeaderThenBody(source, scan);
 * assert.equal(header, "20 text/gemini\r\n");
 * assert.equal(await new Response(body).text(), "Hello, world\n");
 * ```
 */
export async function readHeaderThenBody<H>(
  source: ChunkSource,
  scan: HeaderScan<H>,
  options: HeaderThenBodyOptions = {},
): Promise<HeaderThenBody<H>> {
  const { header, rest } = await readHeader(source, scan, options);
  return { header, body: bodyStream(rest, source, options) };
}

/** Stage 1: chunks until the scan finds the header; the bytes read past it. */
async function readHeader<H>(
  source: ChunkSource,
  scan: HeaderScan<H>,
  options: HeaderThenBodyOptions,
): Promise<{ header: H; rest: Uint8Array }> {
  const cap = options.maxHeaderBytes ?? 65_536;
  let buffer: Uint8Array = new Uint8Array(0);
  for (;;) {
    const read = source.read();
    const chunk = options.deadline ? await withDeadline(read, options.deadline) : await read;
    if (chunk === null) throw new IncompleteHeaderError(buffer.length);
    if (buffer.length === 0) options.onFirstChunk?.();
    buffer = append(buffer, chunk);
    const found = scan(buffer);
    if (found) return { header: found.header, rest: buffer.subarray(found.bodyStart) };
    if (buffer.length >= cap) {
      throw new RangeError(`No complete header within the first ${cap} bytes`);
    }
  }
}

/** Stage 2: `rest` (when not empty), then the source until its end, with the hooks. */
function bodyStream(
  rest: Uint8Array,
  source: ChunkSource,
  hooks: HeaderThenBodyOptions,
): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = rest.length > 0 ? rest : undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      if (pending !== undefined) {
        controller.enqueue(pending);
        pending = undefined;
        return;
      }
      let chunk: Uint8Array | null;
      try {
        chunk = await source.read();
      } catch (error) {
        await hooks.onError?.(error);
        return controller.error(error);
      }
      if (chunk !== null) return controller.enqueue(chunk);
      try {
        await hooks.onEnd?.();
      } catch (error) {
        return controller.error(error);
      }
      controller.close();
    },
    async cancel(reason): Promise<void> {
      await hooks.onCancel?.(reason);
    },
  }, { highWaterMark: hooks.highWaterMark ?? 0 });
}

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
