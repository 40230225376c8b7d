/**
 * The public surface of lib/protocol: every name other layers code against is exported and no
 * internal helper leaks. (The doc examples run in `make test`; `make check` makes sure each
 * one asserts with node:assert, see tools/check-doc-examples.ts.)
 */

import { assertEquals } from "../_helpers/assert.ts";
import * as protocol from "../../lib/protocol/mod.ts";

const EXPECTED = [
  // url.ts
  "DEFAULT_PORT",
  "DEFAULT_PORTS",
  "MAX_REQUEST_URL_BYTES",
  "UrlError",
  "normalizeUrl",
  "formatRequestLine",
  "withInput",
  "hostAndPort",
  "isIpLiteral",
  "resolveUrl",
  // request_error.ts
  "RequestError",
  "REQUEST_REJECTIONS",
  // request.ts
  "MAX_REQUEST_LINE_BYTES",
  "scanRequestLine",
  "parseRequestLine",
  "checkRequestTarget",
  // request_path.ts
  "decodeRequestPath",
  "canonicalRequestPath",
  "encodeRequestPath",
  // response.ts
  "MAX_META_BYTES",
  "MAX_HEADER_BYTES",
  "ResponseHeaderError",
  "scanResponseHeader",
  "parseResponseHeader",
  "formatResponseHeader",
  "slowDownSeconds",
  // mime.ts
  "parseMediaType",
  "formatMediaType",
  "isTextType",
  "DEFAULT_MEDIA_TYPE",
  // titan.ts
  "parseTitanUrl",
  "formatTitanUrl",
  // gopher.ts
  "parseGopherUrl",
  "formatGopherRequest",
  "parseGopherMenu",
  "gopherMenuToGemtext",
  "gopherTypeToMediaType",
  "gopherItemUrl",
  // status.ts
  "Status",
  "statusClass",
  "normalizeStatus",
];

Deno.test("lib/protocol/mod.ts exports the agreed names", () => {
  const missing = EXPECTED.filter((name) => !(name in protocol));
  assertEquals(missing, []);
});

Deno.test("lib/protocol/mod.ts exports no internal _helpers", () => {
  assertEquals(Object.keys(protocol).filter((name) => name.startsWith("_")), []);
});
