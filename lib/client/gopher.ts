/**
 * Gopher over plain TCP for the client: menus become gemtext (a `20 text/gemini` response),
 * text files become `text/plain`, other items stream as their media type. A search item
 * (type 7) without a query answers `10` so the caller asks for one. The client only calls
 * this when the user allowed unencrypted gopher.
 *
 * @module
 */

import { concatBytes } from "../protocol/bytes.ts";
import net from "node:net";
import mime from "mime-types";
import {
  formatGopherRequest,
  gopherMenuToGemtext,
  gopherTypeToMediaType,
  parseGopherMenu,
  parseGopherUrl,
} from "../protocol/gopher.ts";
import { type MediaType, parseMediaType } from "../protocol/mime.ts";
import { _within } from "./_deadline.ts";
import type { _BodySource } from "./_response.ts";
import { ClientError } from "./types.ts";
import { Status } from "../protocol/status.ts";

/** Options for {@linkcode fetchGopher}. */
export interface GopherFetchOptions {
  /** TCP connect timeout, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Time allowed for the first byte and, for menus and text, between chunks, ms. Default 30 000. */
  headerTimeoutMs?: number;
  /** Largest menu or text read into memory, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Aborts the fetch. */
  signal?: AbortSignal;
}

/** A gopher answer in Gemini terms. */
export interface GopherResult {
  /** 20, or 10 for a search without a query. */
  status: number;
  /** The media type (or the prompt for 10). */
  meta: string;
  /** Parsed media type for 20. */
  mediaType?: MediaType;
  /** Timing of the TCP connection. */
  timing: { connectMs: number; tlsMs: number; firstByteMs: number };
  /** Body bytes already read. */
  head?: Uint8Array;
  /** The rest of a streamed body. */
  source?: _BodySource;
}

const TEXT_LIMIT = 16 * 1024 * 1024;

/** A plain TCP socket read chunk by chunk. */
class SocketReader {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #waiter: (() => void) | undefined;
  readonly socket: net.Socket;

  constructor(socket: net.Socket) {
    this.socket = socket;
    const wake = (): void => {
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.();
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(new Uint8Array(chunk));
      if (this.#chunks.length > 16) socket.pause();
      wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      wake();
    });
  }

  /** The next chunk (`null` at the end), within `timeoutMs`; `what` names the peer. */
  async read(timeoutMs: number, what: string): Promise<Uint8Array | null> {
    const limits = {
      at: Date.now() + timeoutMs,
      timeout: () => new ClientError("timeout", `No data from ${what} for ${timeoutMs} ms`),
    };
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await _within(() => new Promise<void>((resolve) => this.#waiter = resolve), limits);
    }
    const chunk = this.#chunks.shift()!;
    if (this.#chunks.length < 4) this.socket.resume();
    return chunk;
  }
}

/** A TCP connection to `host`:`port` within `timeoutMs`, unless `signal` aborts first. */
async function connect(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  let socket: net.Socket | undefined;
  try {
    await _within(() =>
      new Promise<void>((resolve, reject) => {
        socket = net.connect({ host, port });
        socket.once("error", (error: Error) =>
          reject(
            new ClientError("network", `Cannot connect to ${host}:${port}: ${error.message}`, {
              cause: error,
            }),
          ));
        socket.once("connect", () => resolve());
      }), {
      at: Date.now() + timeoutMs,
      signal,
      timeout: () => new ClientError("timeout", `Timed out connecting to ${host}:${port}`),
      aborted: () => new ClientError("aborted", `Connection to ${host}:${port} aborted`),
    });
  } catch (error) {
    socket?.destroy();
    throw error;
  }
  socket!.removeAllListeners("error");
  return socket!;
}

/** Removes the lone `.` terminator line and undoes dot-stuffing of a gopher text file. */
function unstuffText(text: string): string {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length > 0 && lines[lines.length - 1] === ".") lines.pop();
  return lines.map((l) => (l.startsWith("..") ? l.slice(1) : l)).join("\n") +
    (lines.length > 0 ? "\n" : "");
}

function binaryMediaType(type: string, selector: string): string {
  const byType = gopherTypeToMediaType(type);
  if (byType !== "application/octet-stream" && byType !== "image/*") return byType;
  const byName = mime.lookup(selector);
  return typeof byName === "string" ? byName : byType === "image/*" ? "image/png" : byType;
}

/**
 * Fetches a `gopher://` URL over plain TCP. Throws a {@linkcode ClientError} when the URL is
 * not usable or the connection fails.
 *
 * @example
 * ```ts
 * import { fetchGopher } from "./gopher.ts";
 * import assert from "node:assert/strict";
 * import net from "node:net";
 *
 * // A one-menu gopher server on loopback, so the example needs no network.
 * const server = net.createServer((socket) => {
 *   socket.once("data", () => socket.end("iWelcome\tfake\t(NULL)\t0\r\n.\r\n"));
 * });
 * await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
 * const { port } = server.address() as net.AddressInfo;
 * const result = await fetchGopher(new URL(`gopher://127.0.0.1:${port}/`));
 * assert.deepEqual([result.status, result.meta], [20, "text/gemini; charset=utf-8"]);
 * await new Promise((closed) => server.close(closed));
 * ```
 */
export async function fetchGopher(
  url: URL,
  options: GopherFetchOptions = {},
): Promise<GopherResult> {
  let target;
  try {
    target = parseGopherUrl(url);
  } catch (cause) {
    throw new ClientError("bad-url", cause instanceof Error ? cause.message : String(cause), {
      cause,
    });
  }
  const { host, port, type, selector, search } = target;
  if (type === "7" && search === undefined) {
    return {
      status: Status.Input,
      meta: "Search",
      timing: { connectMs: 0, tlsMs: 0, firstByteMs: 0 },
    };
  }
  const started = performance.now();
  const socket = await connect(host, port, options.connectTimeoutMs ?? 10_000, options.signal);
  const item: Item = {
    reader: new SocketReader(socket),
    wait: options.headerTimeoutMs ?? 30_000,
    what: `${host}:${port}`,
    sentAt: 0,
    timing: { connectMs: performance.now() - started, tlsMs: 0, firstByteMs: 0 },
  };
  try {
    socket.write(formatGopherRequest(selector, search));
  } catch (cause) {
    socket.destroy();
    throw new ClientError("bad-url", cause instanceof Error ? cause.message : String(cause), {
      cause,
    });
  }
  item.sentAt = performance.now();
  if (type === "1" || type === "7" || type === "0") {
    const text = await readText(url, item, options.maxBodyBytes);
    return type === "0" ? document("text/plain; charset=utf-8", unstuffText(text), item) : document(
      "text/gemini; charset=utf-8",
      gopherMenuToGemtext(parseGopherMenu(text), { host, port }),
      item,
    );
  }
  return await streamItem(binaryMediaType(type, selector), item);
}

/** One gopher item on its way: the socket's reader and the timings so far. */
interface Item {
  reader: SocketReader;
  /** Time allowed for each chunk, ms. */
  wait: number;
  /** `host:port`, for messages. */
  what: string;
  /** When the selector was sent (`performance.now()`). */
  sentAt: number;
  timing: GopherResult["timing"];
}

/** The whole of a menu or text item, as UTF-8 text (at most 16 MiB, or `maxBodyBytes`). */
async function readText(url: URL, item: Item, maxBodyBytes?: number): Promise<string> {
  const { reader, wait, what } = item;
  const limit = Math.min(maxBodyBytes ?? TEXT_LIMIT, TEXT_LIMIT);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let chunk = await reader.read(wait, what); chunk; chunk = await reader.read(wait, what)) {
      if (size === 0) item.timing.firstByteMs = performance.now() - item.sentAt;
      size += chunk.length;
      if (size > limit) {
        throw new ClientError("too-large", `The gopher item ${url.href} exceeds ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } finally {
    reader.socket.destroy();
  }
  return new TextDecoder().decode(concatBytes(chunks));
}

/** A `20` answer whose whole body is `text`, of media type `meta`. */
function document(meta: string, text: string, item: Item): GopherResult {
  return {
    status: Status.Success,
    meta,
    mediaType: parseMediaType(meta),
    timing: item.timing,
    head: new TextEncoder().encode(text),
  };
}

/** A `20` answer of media type `meta` whose body streams from the socket. */
async function streamItem(meta: string, item: Item): Promise<GopherResult> {
  const { reader, wait, what } = item;
  let first: Uint8Array | null;
  try {
    first = await reader.read(wait, what);
  } catch (error) {
    reader.socket.destroy();
    throw error;
  }
  item.timing.firstByteMs = performance.now() - item.sentAt;
  return {
    status: Status.Success,
    meta,
    mediaType: parseMediaType(meta),
    timing: item.timing,
    head: first ?? undefined,
    source: first === null ? undefined : {
      read: () => reader.read(wait, what),
      closeNotify: () => true,
      release: () => reader.socket.destroy(),
    },
  };
}
