import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { formatTitanUrl, parseTitanUrl, UrlError } from "../../lib/protocol/mod.ts";

Deno.test("parseTitanUrl() reads size, mime and token in any order", () => {
  const t = parseTitanUrl("titan://example.org/raw/Test;token=hello;mime=text/plain;size=10");
  assertEquals(t.url.href, "titan://example.org/raw/Test");
  assertEquals([t.size, t.mime, t.token], [10, "text/plain", "hello"]);
  assertEquals(t.params, { token: "hello", mime: "text/plain", size: "10" });
});

Deno.test("parseTitanUrl() defaults mime to text/gemini and has no token", () => {
  const t = parseTitanUrl("titan://h/p;size=0");
  assertEquals([t.size, t.mime, t.token], [0, "text/gemini", undefined]);
});

Deno.test("parseTitanUrl() keeps the query and unknown parameters, decodes values", () => {
  const t = parseTitanUrl("titan://h:1966/a;b/page;size=3;token=a%3Bb%20c;edit=1?q=1");
  assertEquals(t.url.href, "titan://h:1966/a;b/page?q=1");
  assertEquals([t.token, t.params.edit], ["a;b c", "1"]);
});

Deno.test("parseTitanUrl() requires a non-negative integer size", () => {
  for (
    const url of [
      "titan://h/p",
      "titan://h/p;mime=text/plain",
      "titan://h/p;size=",
      "titan://h/p;size=-1",
      "titan://h/p;size=1.5",
      "titan://h/p;size=1e3",
      "titan://h/p;size=99999999999999999",
    ]
  ) {
    assertEquals(assertThrows(() => parseTitanUrl(url), UrlError).reason, "titan-params", url);
  }
  assertEquals(assertThrows(() => parseTitanUrl("gemini://h/p;size=1"), UrlError).reason, "scheme");
});

Deno.test("formatTitanUrl() builds parameters and round-trips", () => {
  assertEquals(formatTitanUrl("titan://h/p", { size: 5 }), "titan://h/p;size=5");
  const href = formatTitanUrl("gemini://h/wiki/Page?x", {
    size: 12,
    mime: "text/plain",
    token: "s3cret;=/ x",
  });
  assertEquals(href, "titan://h/wiki/Page;size=12;mime=text/plain;token=s3cret%3B%3D%2F%20x?x");
  const t = parseTitanUrl(href);
  assertEquals([t.url.href, t.size, t.mime, t.token], [
    "titan://h/wiki/Page?x",
    12,
    "text/plain",
    "s3cret;=/ x",
  ]);
});

Deno.test("formatTitanUrl() replaces existing parameters and validates size", () => {
  assertEquals(formatTitanUrl("titan://h/p;size=1;mime=a/b", { size: 2 }), "titan://h/p;size=2");
  for (const size of [-1, 1.5, NaN, Infinity]) {
    assertThrows(() => formatTitanUrl("titan://h/p", { size }), UrlError, "size");
  }
});
