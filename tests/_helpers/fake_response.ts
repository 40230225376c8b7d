/**
 * Hand-made client responses for the browser tests (no network): `fakeResponse` builds a
 * GeminiResponse whose body is already in memory; `until` polls a condition with a bound.
 */

import type { GeminiResponse } from "../../lib/client/types.ts";

/** A response for `url` with this status, meta and body (a 2x gets a media type; trust "match"). */
export function fakeResponse(
  url: string,
  status: number,
  meta: string,
  body: Uint8Array | string = "",
  extra: Partial<GeminiResponse> = {},
): GeminiResponse {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const essence = meta.split(";")[0].trim();
  const [type, subtype] = essence.split("/");
  return {
    url: new URL(url),
    status,
    meta,
    mediaType: status >= 20 && status < 30 ? { type, subtype, essence, params: {} } : undefined,
    redirects: [],
    timing: { connectMs: 0, tlsMs: 0, firstByteMs: 0, totalMs: 0 },
    body: new ReadableStream({
      start(c): void {
        // Several chunks, so that progress is reported for big bodies.
        for (let at = 0; at < bytes.length; at += 65536) c.enqueue(bytes.slice(at, at + 65536));
        c.close();
      },
    }),
    bytes: () => Promise.resolve(bytes),
    text: () => Promise.resolve(new TextDecoder().decode(bytes)),
    closeNotify: true,
    bodyBytes: bytes.length,
    trust: "match",
    ...extra,
  };
}

/** Polls `check` (bounded: 2000 turns of 1 ms). */
export async function until(check: () => unknown, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
