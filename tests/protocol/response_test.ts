import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  formatResponseHeader,
  MAX_HEADER_BYTES,
  MAX_META_BYTES,
  parseResponseHeader,
  ResponseHeaderError,
  type ResponseHeaderErrorReason,
  scanResponseHeader,
  slowDownSeconds,
} from "../../lib/protocol/mod.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
function reason(fn: () => unknown): ResponseHeaderErrorReason {
  return assertThrows(fn, ResponseHeaderError).reason;
}

Deno.test("response limits: META 1024 bytes, header 1029 bytes", () => {
  assertEquals(MAX_META_BYTES, 1024);
  assertEquals(MAX_HEADER_BYTES, 1029);
});

Deno.test("parseResponseHeader() parses 20 text/gemini", () => {
  const header = parseResponseHeader("20 text/gemini\r\n");
  assertEquals(header.status, 20);
  assertEquals(header.statusClass, 20);
  assertEquals(header.meta, "text/gemini");
  assertEquals(header.mediaType?.essence, "text/gemini");
  assertEquals(header.mediaType?.charset, undefined);
});

Deno.test("parseResponseHeader() parses media type parameters", () => {
  const mt = parseResponseHeader("20 text/gemini; charset=utf-8; lang=en\r\n").mediaType;
  assertEquals(mt?.charset, "utf-8");
  assertEquals(mt?.lang, "en");
  assertEquals(mt?.params, { charset: "utf-8", lang: "en" });
  const unknown = parseResponseHeader("20 text/plain; size=100; cache=no\r\n").mediaType;
  assertEquals(unknown?.params, { size: "100", cache: "no" });
});

Deno.test("parseResponseHeader() defaults an empty 20 META to text/gemini; charset=utf-8", () => {
  for (const line of ["20\r\n", "20 \r\n", "20", "20\n"]) {
    const header = parseResponseHeader(line);
    assertEquals(header.meta, "", line);
    assertEquals(header.mediaType?.essence, "text/gemini", line);
    assertEquals(header.mediaType?.charset, "utf-8", line);
  }
});

Deno.test("parseResponseHeader() accepts 4x/5x/6x without META", () => {
  assertEquals(parseResponseHeader("51\r\n"), { status: 51, statusClass: 50, meta: "" });
  assertEquals(parseResponseHeader("44 30\r\n").meta, "30");
  assertEquals(parseResponseHeader("60\r\n").statusClass, 60);
});

Deno.test("parseResponseHeader() keeps undefined codes in 10-69 with their class", () => {
  for (const [code, cls] of [[14, 10], [25, 20], [37, 30], [49, 40], [57, 50], [65, 60]]) {
    const header = parseResponseHeader(`${code} x/y\r\n`);
    assertEquals([header.status, header.statusClass], [code, cls]);
  }
  assertEquals(parseResponseHeader("25 image/png\r\n").mediaType?.essence, "image/png");
});

const INVALID: [string, string | Uint8Array, ResponseHeaderErrorReason][] = [
  ["one digit", "2 text/gemini\r\n", "bad-status"],
  ["three digits", "200 text/gemini\r\n", "bad-status"],
  ["no space", "20text/gemini\r\n", "missing-space"],
  ["a tab instead of space", "20\ttext/gemini\r\n", "missing-space"],
  ["letters", "OK text/gemini\r\n", "bad-status"],
  ["an empty line", "\r\n", "bad-status"],
  ["status 00", "00 x\r\n", "status-out-of-range"],
  ["status 05", "05 x\r\n", "status-out-of-range"],
  ["status 70", "70 x\r\n", "status-out-of-range"],
  ["status 99", "99 x\r\n", "status-out-of-range"],
  ["a BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...enc("20 text/gemini\r\n")]), "bom"],
  ["invalid UTF-8", new Uint8Array([...enc("40 "), 0xff, 0x0d, 0x0a]), "invalid-utf8"],
  ["a NUL in META", "40 a\0b\r\n", "control-char"],
  ["a CR inside META", "40 a\rb\r\n", "control-char"],
  ["an empty redirect", "30 \r\n", "missing-meta"],
  ["a redirect without META", "31\r\n", "missing-meta"],
  ["a bad media type", "20 not a type\r\n", "bad-media-type"],
];

for (const [what, line, expected] of INVALID) {
  Deno.test(`parseResponseHeader() rejects ${what} (${expected})`, () => {
    assertEquals(reason(() => parseResponseHeader(line)), expected);
  });
}

Deno.test("parseResponseHeader() error messages say what and where", () => {
  const error = assertThrows(
    () => parseResponseHeader("20text/gemini"),
    ResponseHeaderError,
    "U+0074 after the status",
  );
  assertEquals(error.offset, 2);
});

Deno.test("parseResponseHeader() accepts 1024 bytes of META and refuses 1025", () => {
  assertEquals(parseResponseHeader(`40 ${"x".repeat(1024)}\r\n`).meta.length, 1024);
  assertEquals(reason(() => parseResponseHeader(`40 ${"x".repeat(1025)}\r\n`)), "too-long");
  // counted in bytes: 512 two-byte characters = 1024 bytes; one more is 1026
  assertEquals(parseResponseHeader(`40 ${"é".repeat(512)}`).meta.length, 512);
  assertEquals(reason(() => parseResponseHeader(`40 ${"é".repeat(513)}`)), "too-long");
});

Deno.test("scanResponseHeader() returns null until the line end arrives", () => {
  assertEquals(scanResponseHeader(new Uint8Array()), null);
  assertEquals(scanResponseHeader(enc("20 text/gem")), null);
  assertEquals(scanResponseHeader(enc("20 text/gemini\r")), null);
});

Deno.test("scanResponseHeader() finds the body start and never parses the body", () => {
  const found = scanResponseHeader(enc("20 text/gemini\r\n\r\n# body\r\n"));
  assertEquals(found?.bodyStart, 16);
  assertEquals(found?.header.meta, "text/gemini");
  const lf = scanResponseHeader(enc("20 text/plain\nbody\r\n"));
  assertEquals([lf?.bodyStart, lf?.header.meta], [14, "text/plain"]);
});

Deno.test("scanResponseHeader() ends a non-2x header at its line end, whatever follows", () => {
  // edge case 38: the bytes after a non-2x header are not part of it (the client drops them)
  const found = scanResponseHeader(enc("51 Not found\r\n20 text/gemini\r\nbody"));
  assertEquals([found?.header.status, found?.header.meta, found?.bodyStart], [51, "Not found", 14]);
  const bare = scanResponseHeader(enc("51\r\nbody\r\n"));
  assertEquals([bare?.header.status, bare?.header.meta, bare?.bodyStart], [51, "", 4]);
});

Deno.test("scanResponseHeader() accepts a 1029-byte header and refuses 1030 bytes", () => {
  const ok = enc(`40 ${"x".repeat(1024)}\r\n`);
  assertEquals(ok.length, 1029);
  assertEquals(scanResponseHeader(ok)?.bodyStart, 1029);
  const long = enc(`40 ${"x".repeat(1025)}\r\n`);
  assertEquals(long.length, 1030);
  assertEquals(reason(() => scanResponseHeader(long)), "too-long");
  assertEquals(reason(() => scanResponseHeader(long.subarray(0, 1029))), "too-long");
  assertEquals(scanResponseHeader(long.subarray(0, 1028)), null);
});

Deno.test("scanResponseHeader() stops at 1029 bytes of a 1 MB header", () => {
  const garbage = new Uint8Array(1 << 20).fill(0x78);
  garbage.set(enc("20 "), 0);
  garbage.set(enc("\r\n"), garbage.length - 2);
  assertEquals(reason(() => scanResponseHeader(garbage)), "too-long");
});

Deno.test("formatResponseHeader() formats and round-trips", () => {
  assertEquals(formatResponseHeader(20, "text/gemini; lang=en"), "20 text/gemini; lang=en\r\n");
  assertEquals(formatResponseHeader(51), "51\r\n");
  assertEquals(formatResponseHeader(51, "Not found"), "51 Not found\r\n");
  for (const [status, meta] of [[10, "Name?"], [31, "/new"], [44, "30"], [62, ""]] as const) {
    const header = parseResponseHeader(formatResponseHeader(status, meta));
    assertEquals([header.status, header.meta], [status, meta]);
  }
});

Deno.test("formatResponseHeader() validates status and META", () => {
  assertEquals(reason(() => formatResponseHeader(9, "x")), "status-out-of-range");
  assertEquals(reason(() => formatResponseHeader(70, "x")), "status-out-of-range");
  assertEquals(reason(() => formatResponseHeader(20.5, "x")), "status-out-of-range");
  assertEquals(reason(() => formatResponseHeader(40, "a\r\n20 text/html")), "control-char");
  assertEquals(reason(() => formatResponseHeader(40, "x".repeat(1025))), "too-long");
  assertEquals(formatResponseHeader(40, "x".repeat(1024)).length, 1029);
  assertEquals(reason(() => formatResponseHeader(30)), "missing-meta");
  assertEquals(reason(() => formatResponseHeader(20)), "missing-meta");
  assertEquals(reason(() => formatResponseHeader(20, "nonsense")), "bad-media-type");
  assertEquals(reason(() => formatResponseHeader(40, "\ufeffx")), "bom");
});

Deno.test("slowDownSeconds() reads a leading integer, else 0", () => {
  assertEquals(slowDownSeconds("30"), 30);
  assertEquals(slowDownSeconds("30 seconds please"), 30);
  assertEquals(slowDownSeconds(" 5"), 5);
  assertEquals(slowDownSeconds("slow down"), 0);
  assertEquals(slowDownSeconds(""), 0);
  assertEquals(slowDownSeconds("-3"), 0);
  assert(Number.isSafeInteger(slowDownSeconds("9".repeat(40))));
});
