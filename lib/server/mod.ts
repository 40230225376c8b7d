/**
 * The Gemini server: a {@linkcode Handler} takes a request and returns a reply;
 * {@linkcode serve} runs handlers behind TLS listeners with the protocol's checks in a fixed
 * order, limits, an access log and graceful shutdown. Routing by virtual host and path,
 * static files, certificates kept on disk and the site of a `gemini serve` configuration
 * (`buildSite`; the configuration file itself is the `./server/config` entry point) build
 * on it, and so do the dynamic parts: CGI (`cgiHandler`), client-certificate access
 * control (`accessControl`), Titan uploads (`titanHandler`), redirect/gone rules and media
 * type overrides (`pathRules`, `contentOverrides`), a reverse proxy (`proxyHandler`) and
 * the app framework (`Router`, `AppRequest`, `input()`, `gemtext()` and the other reply
 * helpers).
 *
 * @example
 * ```ts
 * import { serve, success } from "./mod.ts";
 * import { dial, generateCertificate } from "../tls/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const { cert, key } = await generateCertificate("localhost");
 * const server = await serve({
 *   handler: () => success("# Hello, Gemini\n"),
 *   certificates: [{ cert, key }],
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 * });
 * const port = server.addrs[0].port;
 * const conn = await dial("127.0.0.1", { port, servername: "localhost" });
 * await conn.write(`gemini://localhost:${port}/\r\n`);
 * let answer = "";
 * for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
 *   answer += new TextDecoder().decode(chunk);
 * }
 * assert.equal(answer, "20 text/gemini; charset=utf-8\r\n# Hello, Gemini\n");
 * await server.shutdown();
 * ```
 *
 * @module
 */

export {
  type GeminiReply,
  type GeminiRequest,
  type Handler,
  type Middleware,
  type ReplyBody,
} from "./types.ts";
export {
  createLogger,
  type LineWriter,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
  stderrWriter,
  stdoutWriter,
} from "./logger.ts";
export { type AccessEntry, AccessLog, type AccessLogOptions } from "./access_log.ts";
export {
  BanList,
  type BanOptions,
  type ConnectionRefusal,
  Limits,
  type LimitsOptions,
  rateLimit,
  RateLimiter,
  type RateOptions,
} from "./limits.ts";
export {
  type RequestRateLimit,
  serveConnection,
  type ServeConnectionOptions,
} from "./connection.ts";
export {
  type MemoryConnection,
  memoryConnection,
  type MemoryConnectionOptions,
  type MemoryEnding,
} from "./memory_connection.ts";
export {
  type ListenAddress,
  type RunningServer,
  serve,
  type ServedCertificate,
  type ServeOptions,
  type ServerStats,
  type ServerUpdate,
} from "./server.ts";
export {
  type AppHandler,
  type AppRequest,
  decodedInput,
  type RouteOptions,
  Router,
  type RouterOptions,
} from "./router.ts";
export { fileServer, type FileServerOptions } from "./static.ts";
export {
  ensureHostCertificate,
  type EnsureHostCertificateOptions,
  type HostCertificate,
  type HostCertificateInfo,
} from "./certificates.ts";
export { cgiHandler, type CgiOptions } from "./cgi.ts";
export { accessControl, type AccessOptions, type AccessPolicy, accessPolicy } from "./access.ts";
export { titanHandler, type TitanOptions } from "./titan.ts";
export { type ContentOverride, contentOverrides, type PathRule, pathRules } from "./rules.ts";
export { proxyHandler, type ProxyOptions, UpstreamTrust } from "./proxy.ts";
export {
  badRequest,
  certificateNotAuthorised,
  certificateNotValid,
  certificateRequired,
  gemtext,
  gone,
  input,
  notFound,
  permanentFailure,
  redirect,
  reply,
  sensitiveInput,
  slowDown,
  success,
  temporaryFailure,
} from "./reply.ts";
export { compose, logging, requireClientCertificate, stripPrefix } from "./middleware.ts";
export { memoryServer } from "./memory.ts";
export {
  buildSite,
  type BuildSiteOptions,
  type ReissuedCertificate,
  serveOptions,
  type Site,
  type SiteFiles,
} from "./site.ts";
export {
  formatProxyHeader,
  parseProxyHeader,
  type ProxyFamily,
  type ProxyHeader,
  type ProxyParseOptions,
  type ProxyParseResult,
  ProxyProtocolError,
} from "./proxy_protocol.ts";
export { type ProxyHookOptions, proxyProtocolHook } from "./proxy_listener.ts";
// Types of the other layers that this layer's signatures name.
export type { Status, StatusClass, StatusCode, StatusOfClass } from "../protocol/mod.ts";
export type {
  Address,
  CertificateBundle,
  CertificateInfo,
  ClientIdentity,
  Connection,
  ConnectionGate,
  ListenerBackend,
  ListenOptions,
  PreTlsResult,
  ServerCertificate,
  ServerConnection,
  TlsDetails,
} from "../tls/mod.ts";
export type {
  CgiLocationConfig,
  HostConfig,
  LimitsConfig,
  ListenConfig,
  LocationConfig,
  OverrideConfig,
  ProxyLocationConfig,
  RecycleConfig,
  RuleConfig,
  ServerConfig,
  TitanLocationConfig,
} from "./config/mod.ts";
