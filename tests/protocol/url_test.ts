import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  DEFAULT_PORT,
  DEFAULT_PORTS,
  formatRequestLine,
  hostAndPort,
  isIpLiteral,
  MAX_REQUEST_URL_BYTES,
  normalizeUrl,
  resolveUrl,
  UrlError,
  withInput,
} from "../../lib/protocol/mod.ts";

function urlOfBytes(n: number): string {
  const prefix = "gemini://example.org/";
  return prefix + "a".repeat(n - prefix.length);
}

function reasonOf(fn: () => unknown): string {
  return assertThrows(fn, UrlError).reason;
}

Deno.test("url constants match the specification", () => {
  assertEquals(DEFAULT_PORT, 1965);
  assertEquals(MAX_REQUEST_URL_BYTES, 1024);
  assertEquals(DEFAULT_PORTS, { gemini: 1965, titan: 1965, gopher: 70, http: 80, https: 443 });
});

Deno.test("normalizeUrl() lower-cases scheme and host, keeps path case", () => {
  assertEquals(normalizeUrl("GEMINI://Example.ORG/Path").href, "gemini://example.org/Path");
});

Deno.test("normalizeUrl() sends an empty path as /", () => {
  assertEquals(normalizeUrl("gemini://example.org").href, "gemini://example.org/");
  assertEquals(normalizeUrl("gemini://example.org?q").href, "gemini://example.org/?q");
});

Deno.test("normalizeUrl() strips the fragment, including an empty one", () => {
  assertEquals(normalizeUrl("gemini://example.org/a#b").href, "gemini://example.org/a");
  assertEquals(normalizeUrl("gemini://example.org/a?q#").href, "gemini://example.org/a?q");
});

Deno.test("normalizeUrl() rejects userinfo, even empty userinfo", () => {
  assertEquals(reasonOf(() => normalizeUrl("gemini://user@example.org/")), "userinfo");
  assertEquals(reasonOf(() => normalizeUrl("gemini://user:pw@example.org/")), "userinfo");
  assertEquals(reasonOf(() => normalizeUrl("gemini://@example.org/")), "userinfo");
  assertEquals(reasonOf(() => normalizeUrl(new URL("gemini://u@example.org/"))), "userinfo");
});

Deno.test("normalizeUrl() requires an absolute URL with a host", () => {
  assertEquals(reasonOf(() => normalizeUrl("/index.gmi")), "relative");
  assertEquals(reasonOf(() => normalizeUrl("example.org/")), "relative");
  assertEquals(reasonOf(() => normalizeUrl("gemini:/path")), "missing-host");
  assertEquals(reasonOf(() => normalizeUrl("gemini://[::1/")), "invalid");
});

Deno.test("normalizeUrl() restricts schemes when asked", () => {
  assertEquals(normalizeUrl("gopher://h/1").href, "gopher://h/1");
  assertEquals(reasonOf(() => normalizeUrl("https://h/", { schemes: ["gemini"] })), "scheme");
});

Deno.test("normalizeUrl() converts an IDN host to punycode", () => {
  assertEquals(normalizeUrl("gemini://naïve.example/").href, "gemini://xn--nave-6pa.example/");
  assertEquals(normalizeUrl("gemini://Bücher.example/").hostname, "xn--bcher-kva.example");
  assertEquals(normalizeUrl("gemini://例え.テスト/").hostname, "xn--r8jz45g.xn--zckzah");
  assertEquals(normalizeUrl("gemini://☃.net/").hostname, "xn--n3h.net");
  assertEquals(
    normalizeUrl("gemini://XN--NAVE-6PA.example/").hostname,
    "xn--nave-6pa.example",
  );
});

Deno.test("normalizeUrl() refuses hosts that are not valid names", () => {
  assertEquals(reasonOf(() => normalizeUrl("gemini://xn--zz.com/")), "invalid-host");
  assertEquals(reasonOf(() => normalizeUrl("gemini://a%2Fb/")), "invalid-host");
  assertEquals(reasonOf(() => normalizeUrl("gemini://a%zz/")), "invalid-host");
});

Deno.test("normalizeUrl() percent-encodes non-ASCII path and query", () => {
  assertEquals(
    normalizeUrl("gemini://example.org/café?ü x").href,
    "gemini://example.org/caf%C3%A9?%C3%BC%20x",
  );
});

Deno.test("normalizeUrl() normalises escapes and drops the default port", () => {
  assertEquals(normalizeUrl("gemini://h:1965/%7e%2f").href, "gemini://h/~%2F");
  assertEquals(normalizeUrl("gemini://h:1966/").href, "gemini://h:1966/");
  assertEquals(normalizeUrl("gopher://h:70/1").href, "gopher://h/1");
  assertEquals(normalizeUrl("titan://h:1965/p;size=1").href, "titan://h/p;size=1");
});

Deno.test("normalizeUrl() keeps IPv6 literals", () => {
  assertEquals(normalizeUrl("gemini://[::1]:1965/").href, "gemini://[::1]/");
  assertEquals(normalizeUrl("gemini://[2001:DB8::1]/").hostname, "[2001:db8::1]");
});

Deno.test("normalizeUrl() accepts 1024 bytes and refuses 1025", () => {
  assertEquals(normalizeUrl(urlOfBytes(1024)).href.length, 1024);
  const error = assertThrows(() => normalizeUrl(urlOfBytes(1025)), UrlError, "1025 bytes");
  assertEquals(error.reason, "too-long");
});

Deno.test("normalizeUrl() counts bytes after percent-encoding, not characters", () => {
  // 1000 ASCII bytes plus 5 "é" (each %C3%A9, 6 bytes) = 1030 bytes
  const url = urlOfBytes(1000) + "é".repeat(5);
  assertEquals(reasonOf(() => normalizeUrl(url)), "too-long");
});

Deno.test("formatRequestLine() appends CRLF, not counted in the 1024 limit", () => {
  assertEquals(formatRequestLine("gemini://example.org"), "gemini://example.org/\r\n");
  const line = formatRequestLine(urlOfBytes(1024));
  assertEquals(line.length, 1026);
  assert(line.endsWith("\r\n"));
  assertEquals(reasonOf(() => formatRequestLine(urlOfBytes(1025))), "too-long");
});

Deno.test("withInput() encodes spaces as %20 and reserved characters", () => {
  assertEquals(
    withInput("gemini://h/s", "a b+c&d#e\nf").href,
    "gemini://h/s?a%20b%2Bc%26d%23e%0Af",
  );
  assertEquals(withInput("gemini://h/s", "!*'()/?=~-._").search, "?%21%2A%27%28%29%2F%3F%3D~-._");
  assertEquals(withInput("gemini://h/s", "é").search, "?%C3%A9");
  assertEquals(withInput("gemini://h/s", "😀").search, "?%F0%9F%98%80");
});

Deno.test("withInput() replaces an existing query and drops the fragment", () => {
  assertEquals(withInput("gemini://h/s?old#frag", "new").href, "gemini://h/s?new");
});

Deno.test("withInput() refuses an answer that makes the URL longer than 1024 bytes", () => {
  const base = "gemini://example.org/s";
  assertEquals(withInput(base, "a".repeat(1024 - base.length - 1)).href.length, 1024);
  assertEquals(reasonOf(() => withInput(base, "a".repeat(1024 - base.length))), "too-long");
  assertEquals(reasonOf(() => withInput(base, " ".repeat(400))), "too-long");
});

Deno.test("hostAndPort() removes IPv6 brackets and applies default ports", () => {
  assertEquals(hostAndPort("gemini://[::1]/"), { host: "::1", port: 1965 });
  assertEquals(hostAndPort("gemini://h:1966/"), { host: "h", port: 1966 });
  assertEquals(hostAndPort(new URL("gopher://h/")), { host: "h", port: 70 });
  assertEquals(hostAndPort("titan://h/"), { host: "h", port: 1965 });
  assertEquals(hostAndPort("https://h/"), { host: "h", port: 443 });
  assertEquals(hostAndPort("foo://h/"), { host: "h", port: 1965 });
});

Deno.test("isIpLiteral() tells addresses from names", () => {
  for (const ip of ["127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "[::1]", "2001:db8::1"]) {
    assert(isIpLiteral(ip), ip);
  }
  for (const name of ["example.org", "256.1.1.1", "1.2.3", "localhost", "[example]", ":::"]) {
    assert(!isIpLiteral(name), name);
  }
});

Deno.test("resolveUrl() follows RFC 3986 section 5", () => {
  const base = "gemini://h/a/b/c?q";
  const cases: [string, string][] = [
    ["g", "gemini://h/a/b/g"],
    ["./g", "gemini://h/a/b/g"],
    ["../g", "gemini://h/a/g"],
    ["../../../../g", "gemini://h/g"],
    ["/g", "gemini://h/g"],
    ["//other/p", "gemini://other/p"],
    ["?r", "gemini://h/a/b/c?r"],
    ["#f", "gemini://h/a/b/c?q#f"],
    ["", "gemini://h/a/b/c?q"],
    ["https://x/", "https://x/"],
    ["mailto:a@b", "mailto:a@b"],
  ];
  for (const [ref, expected] of cases) assertEquals(resolveUrl(base, ref).href, expected, ref);
  assertEquals(reasonOf(() => resolveUrl("gemini://h/", "gemini://[bad/")), "invalid");
});

Deno.test("resolveUrl() does not carry the request's query over to a redirect target", () => {
  assertEquals(resolveUrl("gemini://h/a?q", "/new").href, "gemini://h/new");
  assertEquals(resolveUrl("gemini://h/dir/a?q", "../other").href, "gemini://h/other");
});

Deno.test("normalizeUrl() hosts: names already in normal form and near misses give what the URL parser's IDNA gives", () => {
  // The request path skips the parser's IDNA step for plain lower-case names; every host
  // here must come out as the WHATWG parser's own (special-scheme) processing gives it.
  const hosts = [
    "localhost",
    "example.org",
    "a-b.c-d.example",
    "-leading.example",
    "x1.example",
    "EXAMPLE.org",
    "Straße.example",
    "xn--strae-oqa.example",
    "a.xn--strae-oqa",
    "127.1",
    "0x7f.0.0.1",
    "example.0x",
    "example.123",
    "192.168.0.1",
    "example.org.",
    "%65xample.org",
  ];
  for (const host of hosts) {
    let expected: string | undefined;
    try {
      expected = new URL(`http://${host}/`).hostname;
    } catch {
      // the parser refuses it ("example.0x" ends in a number that is not one)
    }
    if (expected === undefined) assertThrows(() => normalizeUrl(`gemini://${host}/`), UrlError);
    else assertEquals(normalizeUrl(`gemini://${host}/`).hostname, expected, host);
  }
});
