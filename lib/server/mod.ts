/**
 * The Gemini server: a {@linkcode Handler} takes a request and returns a reply;
 * {@linkcode serve} runs handlers behind TLS listeners with the protocol's checks in a fixed
 * order, limits, an access log and graceful shutdown. Routing by virtual host and path,
 * static files, certificates kept on disk and the TOML configuration of `gemini serve`
 * build on it, and so do the dynamic parts: CGI (`cgiHandler`), client-certificate access
 * control (`accessControl`), Titan uploads (`titanHandler`), redirect/gone rules and media
 * type overrides (`pathRules`, `contentOverrides`), a reverse proxy (`proxyHandler`) and
 * the app framework (`Router`, `AppRequest`, `input()`, `gemtext()` and the other reply
 * helpers).
 *
 * @example
 * ```ts
 * import { serve, success } from "./mod.ts";
 * import { generateCertificate } from "../tls/mod.ts";
 * const { cert, key } = await generateCertificate("localhost");
 * const server = await serve({
 *   handler: () => success("# Hello, Gemini\n"),
 *   certificates: [{ cert, key }],
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 * });
 * await server.shutdown();
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./logger.ts";
export * from "./access_log.ts";
export * from "./limits.ts";
export {
  newRequestId,
  type RequestRateLimit,
  serveConnection,
  type ServeConnectionOptions,
} from "./connection.ts";
export * from "./memory_connection.ts";
export * from "./server.ts";
export * from "./router.ts";
export {
  fileServer,
  type FileServerOptions,
  formatListing,
  formatSize,
  type ListingEntry,
  mediaTypeFor,
} from "./static.ts";
export * from "./certificates.ts";
export * from "./cgi.ts";
export * from "./access.ts";
export * from "./titan.ts";
export * from "./rules.ts";
export * from "./proxy.ts";
export * from "./reply.ts";
export * from "./middleware.ts";
export { memoryServer } from "./memory.ts";
export * from "./config/mod.ts";
export * from "./site.ts";
export * from "./proxy_protocol.ts";
export * from "./proxy_listener.ts";
export * from "./shared_limits.ts";
