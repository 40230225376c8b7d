/**
 * Responses made here rather than received: a status, a META and a body held in memory,
 * with the same {@linkcode GeminiResponse} shape (and body stream) as a fetched one. For
 * answers that need no connection: a `data:` URL decoded locally, a remembered permanent
 * redirect, a canned answer in a test.
 *
 * @module
 */

import type { MediaType } from "../protocol/mime.ts";
import { _Response } from "./_response.ts";
import type { GeminiResponse, RetryReport } from "./types.ts";

/** What a local response is made of; see {@linkcode localResponse}. */
export interface LocalResponseInit {
  /** The URL it answers. */
  url: URL;
  /** Status code (10-69). */
  status: number;
  /** META. */
  meta: string;
  /** The parsed media type of a 2x answer. Default none. */
  mediaType?: MediaType;
  /** The whole body. Default empty. */
  body?: Uint8Array;
  /** The URLs that redirected to `url`, in order. Default none. */
  redirects?: URL[];
  /** The retries made before it. Default absent. */
  retries?: RetryReport;
  /**
   * When the work that led to it began (`performance.now()` milliseconds): `timing.totalMs`
   * counts from there to the end of the body. Default now.
   */
  startedAt?: number;
  /** The abort signal of the work it answers. */
  signal?: AbortSignal;
}

/**
 * A response with the body `init.body` in memory: no connection, so no TLS details,
 * certificate or trust verdict, timings of zero but `totalMs`, and `closeNotify` true (the
 * body cannot be cut short).
 *
 * @example
 * ```ts
 * import { localResponse } from "./local_response.ts";
 * import { parseMediaType } from "../protocol/mime.ts";
 * import assert from "node:assert";
 * const response = localResponse({
 *   url: new URL("data:,hello"),
 *   status: 20,
 *   meta: "text/plain",
 *   mediaType: parseMediaType("text/plain"),
 *   body: new TextEncoder().encode("hello"),
 * });
 * assert.equal(await response.text(), "hello");
 * assert.equal(response.bodyBytes, 5);
 * assert.equal(response.closeNotify, true);
 * assert.equal(response.certificate, undefined);
 * ```
 */
export function localResponse(init: LocalResponseInit): GeminiResponse {
  return new _Response({
    url: init.url,
    status: init.status,
    meta: init.meta,
    mediaType: init.mediaType,
    redirects: init.redirects ?? [],
    retries: init.retries,
    startedAt: init.startedAt ?? performance.now(),
    timing: { connectMs: 0, tlsMs: 0, firstByteMs: 0, totalMs: 0 },
    head: init.body,
    signal: init.signal,
  });
}
