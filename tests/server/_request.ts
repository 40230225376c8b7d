/**
 * A GeminiRequest for calling a handler directly (no server, no network): the host and path
 * come from the URL, the client is 127.0.0.1:1 without a certificate; `extra` overrides.
 */

import type { GeminiRequest } from "../../lib/server/types.ts";

/** A request for `url` as the server would hand it to a handler. */
export function handlerRequest(url: string, extra: Partial<GeminiRequest> = {}): GeminiRequest {
  const u = new URL(url);
  return {
    url: u,
    path: decodeURIComponent(u.pathname),
    host: u.hostname,
    clientCertificate: undefined,
    remoteAddress: { hostname: "127.0.0.1", port: 1 },
    requestId: "r",
    signal: new AbortController().signal,
    ...extra,
  };
}
