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

export {
  isCertificateStatus,
  isFailure,
  isInput,
  isRedirect,
  isStatus,
  isSuccess,
  normalizeStatus,
  Status,
  STATUS_TEXT,
  type StatusClass,
  statusClass,
  type StatusCode,
  type StatusOfClass,
  statusText,
} from "./status.ts";
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
export {
  type RejectionStatus,
  REQUEST_REJECTIONS,
  RequestError,
  type RequestErrorOptions,
  type RequestRejection,
  type RequestRejectionInfo,
} from "./request_error.ts";
export {
  checkRequestTarget,
  MAX_REQUEST_LINE_BYTES,
  parseRequestLine,
  type ParseRequestLineOptions,
  type RequestTarget,
  type ScannedRequestLine,
  scanRequestLine,
} from "./request.ts";
export {
  formatResponseHeader,
  MAX_HEADER_BYTES,
  MAX_META_BYTES,
  parseResponseHeader,
  type ResponseHeader,
  ResponseHeaderError,
  type ResponseHeaderErrorOptions,
  type ResponseHeaderErrorReason,
  type ScannedResponseHeader,
  scanResponseHeader,
  slowDownSeconds,
} from "./response.ts";
export {
  DEFAULT_MEDIA_TYPE,
  formatMediaType,
  isTextType,
  type MediaType,
  MediaTypeError,
  parseMediaType,
} from "./mime.ts";
export {
  canonicalRequestPath,
  type DecodedRequestPath,
  decodeRequestPath,
  encodeRequestPath,
} from "./request_path.ts";
export { formatTitanUrl, parseTitanUrl, type TitanParams, type TitanUrl } from "./titan.ts";
export {
  formatGopherRequest,
  GOPHER_DEFAULT_PORT,
  type GopherItem,
  type GopherItemKind,
  gopherItemUrl,
  gopherMenuToGemtext,
  type GopherOrigin,
  gopherTypeToMediaType,
  type GopherUrl,
  parseGopherMenu,
  parseGopherUrl,
} from "./gopher.ts";
export { DATA_URL_DEFAULT_TYPE, type DataUrl, parseDataUrl } from "./data_url.ts";
