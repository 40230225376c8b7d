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
import type { _BodySource } from "./_response.ts";
import { ClientError } from "./types.ts";

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

  async read(timeoutMs: number, what: string): Promise<Uint8Array | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      while (this.#chunks.length === 0) {
        if (this.#error) throw this.#error;
        if (this.#ended) return null;
        await new Promise<void>((resolve, reject) => {
          this.#waiter = resolve;
          timer = setTimeout(
            () => reject(new ClientError("timeout", `No data from ${what} for ${timeoutMs} ms`)),
            timeoutMs,
          );
        });
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
    }
    const chunk = this.#chunks.shift()!;
    if (this.#chunks.length < 4) this.socket.resume();
    return chunk;
  }
}

function connect(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (error: ClientError): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ClientError("timeout", `Timed out connecting to ${host}:${port}`)),
      timeoutMs,
    );
    const onAbort = (): void =>
      fail(new ClientError("aborted", `Connection to ${host}:${port} aborted`));
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", (error: Error) =>
      fail(
        new ClientError("network", `Cannot connect to ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      ));
    socket.once("connect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
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
 * ```ts ignore
 * import { fetchGopher } from "./gopher.ts";
 * const result = await fetchGopher(new URL("gopher://gopher.floodgap.com/"));
 * console.log(result.meta); // text/gemini; charset=utf-8
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
      status: 10,
      meta: "Search",
      timing: { connectMs: 0, tlsMs: 0, firstByteMs: 0 },
    };
  }
  const started = performance.now();
  const socket = await connect(host, port, options.connectTimeoutMs ?? 10_000, options.signal);
  const connectMs = performance.now() - started;
  const reader = new SocketReader(socket);
  const wait = options.headerTimeoutMs ?? 30_000;
  const what = `${host}:${port}`;
  try {
    socket.write(formatGopherRequest(selector, search));
  } catch (cause) {
    socket.destroy();
    throw new ClientError("bad-url", cause instanceof Error ? cause.message : String(cause), {
      cause,
    });
  }
  const sentAt = performance.now();
  const timing = { connectMs, tlsMs: 0, firstByteMs: 0 };
  if (type === "1" || type === "7" || type === "0") {
    const limit = Math.min(options.maxBodyBytes ?? TEXT_LIMIT, TEXT_LIMIT);
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (
        let chunk = await reader.read(wait, what);
        chunk;
        chunk = await reader.read(wait, what)
      ) {
        if (size === 0) timing.firstByteMs = performance.now() - sentAt;
        size += chunk.length;
        if (size > limit) {
          throw new ClientError("too-large", `The gopher item ${url.href} exceeds ${limit} bytes`);
        }
        chunks.push(chunk);
      }
    } finally {
      socket.destroy();
    }
    const text = new TextDecoder().decode(concatBytes(chunks));
    if (type === "0") {
      const meta = "text/plain; charset=utf-8";
      return {
        status: 20,
        meta,
        mediaType: parseMediaType(meta),
        timing,
        head: new TextEncoder().encode(unstuffText(text)),
      };
    }
    const gemtext = gopherMenuToGemtext(parseGopherMenu(text), { host, port });
    const meta = "text/gemini; charset=utf-8";
    return {
      status: 20,
      meta,
      mediaType: parseMediaType(meta),
      timing,
      head: new TextEncoder().encode(gemtext),
    };
  }
  const meta = binaryMediaType(type, selector);
  let first: Uint8Array | null;
  try {
    first = await reader.read(wait, what);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  timing.firstByteMs = performance.now() - sentAt;
  return {
    status: 20,
    meta,
    mediaType: parseMediaType(meta),
    timing,
    head: first ?? undefined,
    source: first === null ? undefined : {
      read: () => reader.read(wait, what),
      closeNotify: () => true,
      release: () => socket.destroy(),
    },
  };
}
