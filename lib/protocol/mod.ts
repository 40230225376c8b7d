/**
 * The Gemini wire format as pure functions: status codes, request URLs and request lines,
 * response headers, media types, Titan URL parameters, gopher menus and `data:` URLs. No I/O.
 *
 * @example
 * ```ts
 * import { formatRequestLine, parseRequestLine, parseResponseHeader } from "./mod.ts";
 * import assert from "node:assert";
 * const line = formatRequestLine("gemini://Example.org");
 * assert.ok(parseRequestLine(line).href === "gemini://example.org/");
 * assert.ok(parseResponseHeader("20 text/gemini\r\n").mediaType?.essence === "text/gemini");
 * ```
 *
 * @module
 */

export * from "./status.ts";
export {
  DEFAULT_PORT,
  DEFAULT_PORTS,
  formatRequestLine,
  type HostAndPort,
  hostAndPort,
  isIpLiteral,
  MAX_REQUEST_URL_BYTES,
  normalizeUrl,
  type NormalizeUrlOptions,
  resolveUrl,
  UrlError,
  type UrlErrorOptions,
  type UrlErrorReason,
  withInput,
} from "./url.ts";
export * from "./request_error.ts";
export {
  checkRequestTarget,
  MAX_REQUEST_LINE_BYTES,
  parseRequestLine,
  type ParseRequestLineOptions,
  type RequestTarget,
  type ScannedRequestLine,
  scanRequestLine,
} from "./request.ts";
export * from "./response.ts";
export * from "./mime.ts";
export * from "./request_path.ts";
export * from "./titan.ts";
export * from "./gopher.ts";
export { DATA_URL_DEFAULT_TYPE, type DataUrl, parseDataUrl } from "./data_url.ts";
