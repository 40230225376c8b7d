/** Benchmarks of the protocol parse paths a client or server runs on every request. */

import {
  decodeRequestPath,
  formatRequestLine,
  normalizeUrl,
  parseGopherMenu,
  parseMediaType,
  parseRequestLine,
  parseResponseHeader,
  scanRequestLine,
  scanResponseHeader,
} from "../lib/protocol/mod.ts";

const enc = new TextEncoder();
const requestBytes = enc.encode("gemini://example.org/docs/caf%C3%A9.gmi?a%20b\r\n");
const longRequest = enc.encode(`gemini://example.org/${"a".repeat(1000)}\r\n`);
const headerBytes = enc.encode("20 text/gemini; charset=utf-8; lang=en\r\n# Title\r\n");
const garbage = new Uint8Array(1 << 20).fill(0x61);
const menu = Array.from({ length: 200 }, (_, i) => `1Item ${i}\t/dir/${i}\texample.org\t70`)
  .join("\r\n") + "\r\n.\r\n";

Deno.bench("scanRequestLine + parseRequestLine (short)", { group: "request" }, () => {
  const found = scanRequestLine(requestBytes);
  if (found) parseRequestLine(found.line);
});

Deno.bench("scanRequestLine + parseRequestLine (1024 bytes)", { group: "request" }, () => {
  const found = scanRequestLine(longRequest);
  if (found) parseRequestLine(found.line);
});

Deno.bench("scanRequestLine on 1 MB without CRLF (bounded)", { group: "request" }, () => {
  try {
    scanRequestLine(garbage);
  } catch {
    // too-long, as expected
  }
});

Deno.bench("decodeRequestPath", { group: "request" }, () => {
  decodeRequestPath(new URL("gemini://example.org/a/./b/../caf%C3%A9/index.gmi"));
});

Deno.bench("scanResponseHeader", { group: "response" }, () => {
  scanResponseHeader(headerBytes);
});

Deno.bench("parseResponseHeader (string)", { group: "response" }, () => {
  parseResponseHeader("20 text/gemini; charset=utf-8; lang=en\r\n");
});

Deno.bench("parseMediaType", { group: "response" }, () => {
  parseMediaType('text/gemini; charset=utf-8; lang="en,fr"');
});

Deno.bench("normalizeUrl (IDN host)", { group: "client" }, () => {
  normalizeUrl("GEMINI://Naïve.Example:1965/café#frag");
});

Deno.bench("formatRequestLine", { group: "client" }, () => {
  formatRequestLine("gemini://example.org/docs/");
});

Deno.bench("parseGopherMenu (200 items)", { group: "gopher" }, () => {
  parseGopherMenu(menu);
});
