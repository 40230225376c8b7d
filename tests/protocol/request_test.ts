import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  checkRequestTarget,
  MAX_REQUEST_LINE_BYTES,
  parseRequestLine,
  REQUEST_REJECTIONS,
  RequestError,
  type RequestRejection,
  scanRequestLine,
} from "../../lib/protocol/mod.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === "string" ? enc(p) : p));
  return new Uint8Array(out);
};
function urlOfBytes(n: number): string {
  const prefix = "gemini://example.org/";
  return prefix + "a".repeat(n - prefix.length);
}
function rejection(fn: () => unknown): RequestRejection {
  return assertThrows(fn, RequestError).reason;
}

Deno.test("REQUEST_REJECTIONS maps every reason to 59 or 53", () => {
  const at53 = Object.entries(REQUEST_REJECTIONS).filter(([, v]) => v.status === 53)
    .map(([k]) => k).sort();
  assertEquals(at53, ["other-scheme", "wrong-host", "wrong-port"]);
  for (const [reason, info] of Object.entries(REQUEST_REJECTIONS)) {
    assert(info.status === 59 || info.status === 53, reason);
    assert(info.meaning.length > 0 && !info.meaning.endsWith("."), reason);
  }
  for (
    const reason of [
      "missing-crlf",
      "bare-lf",
      "too-long",
      "bom",
      "empty",
      "relative-url",
      "userinfo",
      "fragment",
      "invalid-utf8",
      "nul",
      "control-char",
      "bad-percent-encoding",
      "path-traversal",
      "timeout",
    ]
  ) assert(reason in REQUEST_REJECTIONS, reason);
});

Deno.test("RequestError carries reason, status, default message and cause", () => {
  const cause = new Error("inner");
  const error = new RequestError("wrong-host", undefined, { cause });
  assertEquals(error.status, 53);
  assertEquals(error.message, REQUEST_REJECTIONS["wrong-host"].meaning);
  assertEquals(error.cause, cause);
  assertEquals(error.name, "RequestError");
  assertEquals(
    new RequestError("timeout", "no request after 10 s").message,
    "no request after 10 s",
  );
  assertEquals(new RequestError("timeout").status, 59);
});

Deno.test("scanRequestLine() returns null until the CRLF arrives", () => {
  assertEquals(scanRequestLine(new Uint8Array()), null);
  assertEquals(scanRequestLine(enc("gemini://h/")), null);
  assertEquals(scanRequestLine(enc("gemini://h/\r")), null);
  const found = scanRequestLine(enc("gemini://h/\r\n"));
  assert(found);
  assertEquals(new TextDecoder().decode(found.line), "gemini://h/");
  assertEquals(found.rest.length, 0);
});

Deno.test("scanRequestLine() leaves bytes after the CRLF in rest", () => {
  const found = scanRequestLine(enc("gemini://h/\r\ngemini://other/\r\n"));
  assert(found);
  assertEquals(new TextDecoder().decode(found.rest), "gemini://other/\r\n");
});

Deno.test("scanRequestLine() accepts a 1024-byte URL plus CRLF (1026 bytes)", () => {
  const wire = enc(urlOfBytes(1024) + "\r\n");
  assertEquals(wire.length, MAX_REQUEST_LINE_BYTES);
  assertEquals(scanRequestLine(wire)?.line.length, 1024);
  // 1024 bytes and the CR: still waiting for the LF
  assertEquals(scanRequestLine(wire.subarray(0, 1025)), null);
  assertEquals(scanRequestLine(wire.subarray(0, 1024)), null);
});

Deno.test("scanRequestLine() rejects a 1025-byte URL as soon as byte 1025 arrives", () => {
  assertEquals(rejection(() => scanRequestLine(enc(urlOfBytes(1025)))), "too-long");
  assertEquals(rejection(() => scanRequestLine(enc(urlOfBytes(1025) + "\r\n"))), "too-long");
});

Deno.test("scanRequestLine() rejects a bare LF at once", () => {
  assertEquals(rejection(() => scanRequestLine(enc("gemini://h/\n"))), "bare-lf");
  assertEquals(rejection(() => scanRequestLine(enc("\n"))), "bare-lf");
  const error = assertThrows(() => scanRequestLine(enc("gemini://h/\n")), RequestError);
  assertEquals(error.offset, 11);
});

Deno.test("scanRequestLine() rejects a bare CR followed by another byte", () => {
  assertEquals(rejection(() => scanRequestLine(enc("gemini://h/\rx"))), "control-char");
});

Deno.test("scanRequestLine() finds an empty line", () => {
  assertEquals(scanRequestLine(enc("\r\n"))?.line.length, 0);
});

Deno.test("scanRequestLine() never looks past byte 1026", () => {
  const garbage = new Uint8Array(1 << 20).fill(0x61);
  garbage.set(enc("\r\n"), garbage.length - 2);
  assertEquals(rejection(() => scanRequestLine(garbage)), "too-long");
});

Deno.test("parseRequestLine() accepts exactly 1024 bytes and refuses 1025", () => {
  assertEquals(parseRequestLine(enc(urlOfBytes(1024))).href, urlOfBytes(1024));
  assertEquals(parseRequestLine(urlOfBytes(1024) + "\r\n").href, urlOfBytes(1024));
  assertEquals(rejection(() => parseRequestLine(enc(urlOfBytes(1025)))), "too-long");
});

Deno.test("parseRequestLine() normalises scheme, host, port and empty path", () => {
  assertEquals(parseRequestLine("GEMINI://Example.ORG/A").href, "gemini://example.org/A");
  assertEquals(parseRequestLine("gemini://example.org").href, "gemini://example.org/");
  assertEquals(parseRequestLine("gemini://example.org:1965/").href, "gemini://example.org/");
  assertEquals(parseRequestLine("gemini://example.org:1966/").port, "1966");
  assertEquals(parseRequestLine("gemini://example.org/?a+b").search, "?a+b");
});

Deno.test("parseRequestLine() passes the query raw: + stays a plus, %20 stays encoded", () => {
  // edge case 25: `?a+b` is a literal plus and `?a%20b` a space, both handed on undecoded
  assertEquals(parseRequestLine("gemini://h/?a+b").search, "?a+b");
  assertEquals(parseRequestLine("gemini://h/?a%20b").search, "?a%20b");
  assertEquals(decodeURIComponent(parseRequestLine("gemini://h/?a%20b").search.slice(1)), "a b");
  assertEquals(parseRequestLine("gemini://h/?a%2Bb&c=d").search, "?a%2Bb&c=d");
});

Deno.test("parseRequestLine() accepts raw UTF-8 (IRIs) and IDN hosts", () => {
  assertEquals(
    parseRequestLine("gemini://naïve.example/café.gmi").href,
    "gemini://xn--nave-6pa.example/caf%C3%A9.gmi",
  );
  assertEquals(
    parseRequestLine("gemini://xn--nave-6pa.example/caf%C3%A9.gmi").href,
    "gemini://xn--nave-6pa.example/caf%C3%A9.gmi",
  );
});

Deno.test("parseRequestLine() accepts IPv6 literals", () => {
  assertEquals(parseRequestLine("gemini://[::1]/").hostname, "[::1]");
  assertEquals(parseRequestLine("gemini://[::1]:1965/x").href, "gemini://[::1]/x");
});

const REJECTED: [string, Uint8Array | string, RequestRejection][] = [
  ["an empty line", "", "empty"],
  ["an empty line with CRLF", "\r\n", "empty"],
  ["a leading BOM", bytes([0xef, 0xbb, 0xbf], "gemini://h/"), "bom"],
  ["invalid UTF-8", bytes("gemini://h/", [0xff]), "invalid-utf8"],
  ["an overlong NUL (C0 80)", bytes("gemini://h/", [0xc0, 0x80]), "invalid-utf8"],
  ["a truncated sequence", bytes("gemini://h/", [0xc3]), "invalid-utf8"],
  ["a NUL byte", bytes("gemini://h/", [0], "x"), "nul"],
  ["a bare CR", "gemini://h/a\rb", "control-char"],
  ["a tab", "gemini://h/a\tb", "control-char"],
  ["DEL", "gemini://h/a\x7fb", "control-char"],
  ["a C1 control", "gemini://h/a\u0085b", "control-char"],
  ["an LF inside", "gemini://h/a\nb", "bare-lf"],
  ["a space", "gemini://h/a b", "invalid-url"],
  ["a relative path", "/index.gmi", "relative-url"],
  ["a scheme-less host", "example.org/", "relative-url"],
  ["a fragment", "gemini://example.org/a#b", "fragment"],
  ["an empty fragment", "gemini://example.org/a#", "fragment"],
  ["userinfo", "gemini://user@example.org/", "userinfo"],
  ["empty userinfo", "gemini://@example.org/", "userinfo"],
  ["user and password", "gemini://u:p@example.org/", "userinfo"],
  ["https", "https://example.org/", "other-scheme"],
  ["gopher", "gopher://example.org/", "other-scheme"],
  ["titan by default", "titan://example.org/p;size=1", "other-scheme"],
  ["no authority", "gemini:/path", "invalid-url"],
  ["an empty host", "gemini:///path", "invalid-url"],
  ["a bad IPv6 literal", "gemini://[::1/", "invalid-url"],
  ["a bad host", "gemini://xn--zz.com/", "invalid-url"],
  ["%zz", "gemini://h/%zz", "bad-percent-encoding"],
  ["%4 at the end", "gemini://h/%4", "bad-percent-encoding"],
  ["% in the query", "gemini://h/?%g0", "bad-percent-encoding"],
  ["../ above the root", "gemini://h/../../etc/passwd", "path-traversal"],
  ["encoded %2e%2e", "gemini://h/%2e%2e/%2e%2e/x", "path-traversal"],
  ["mixed-case %2E%2e", "gemini://h/a/%2E%2e/%2e./x", "path-traversal"],
  ["%2F joined ..", "gemini://h/foo%2F..%2F..", "path-traversal"],
  ["backslash ..", "gemini://h/a/..%5c..%5cx", "path-traversal"],
];

for (const [what, input, reason] of REJECTED) {
  Deno.test(`parseRequestLine() rejects ${what} (${reason})`, () => {
    const error = assertThrows(() => parseRequestLine(input), RequestError);
    assertEquals(error.reason, reason);
    assertEquals(error.status, REQUEST_REJECTIONS[reason].status);
  });
}

Deno.test("parseRequestLine() allows .. that stays inside the root", () => {
  assertEquals(parseRequestLine("gemini://h/a/../b").pathname, "/b");
  assertEquals(parseRequestLine("gemini://h/a/%2e%2e/b").pathname, "/b");
  assertEquals(parseRequestLine("gemini://h/?../../x").search, "?../../x");
});

Deno.test("parseRequestLine() accepts titan when allowed", () => {
  assertEquals(
    parseRequestLine("titan://h/p;size=3", { schemes: ["gemini", "titan"] }).href,
    "titan://h/p;size=3",
  );
});

Deno.test("parseRequestLine() error messages say where", () => {
  const error = assertThrows(() => parseRequestLine("gemini://h/a#b"), RequestError, "12");
  assertEquals(error.offset, 12);
  assertThrows(() => parseRequestLine(bytes("gemini://h/", [0])), RequestError, "character 11");
});

Deno.test("checkRequestTarget() accepts its own host and port in any spelling", () => {
  const target = { hosts: ["naïve.example", "example.org"], port: 1965 };
  checkRequestTarget(parseRequestLine("gemini://EXAMPLE.org/"), target);
  checkRequestTarget(parseRequestLine("gemini://example.org:1965/"), target);
  checkRequestTarget(parseRequestLine("gemini://xn--nave-6pa.example/"), target);
  checkRequestTarget(parseRequestLine("gemini://naïve.example/"), target);
});

Deno.test("checkRequestTarget() refuses other hosts, ports and schemes with 53", () => {
  const target = { hosts: ["example.org"], port: 1965 };
  const cases: [string, RequestRejection][] = [
    ["gemini://other.org/", "wrong-host"],
    ["gemini://example.org:1966/", "wrong-port"],
    ["titan://example.org/", "other-scheme"],
  ];
  for (const [url, reason] of cases) {
    const error = assertThrows(() => checkRequestTarget(new URL(url), target), RequestError);
    assertEquals([error.reason, error.status], [reason, 53]);
  }
});

Deno.test("checkRequestTarget() supports *, *.domain, IPv6 and other ports", () => {
  checkRequestTarget(parseRequestLine("gemini://anything/"), { hosts: ["*"], port: 1965 });
  const sub = { hosts: ["*.example.org"], port: 1965 };
  checkRequestTarget(parseRequestLine("gemini://a.example.org/"), sub);
  assertThrows(() => checkRequestTarget(parseRequestLine("gemini://example.org/"), sub));
  checkRequestTarget(parseRequestLine("gemini://[::1]/"), { hosts: ["::1"], port: 1965 });
  checkRequestTarget(parseRequestLine("gemini://h:7000/"), { hosts: ["h"], port: 7000 });
  const error = assertThrows(
    () => checkRequestTarget(parseRequestLine("gemini://h/"), { hosts: ["h"], port: 7000 }),
    RequestError,
  );
  assertEquals(error.reason, "wrong-port");
});
