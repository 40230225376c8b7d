/** resolveLink(), extractLinks() and gemtextTitle(). */

import { assertEquals } from "../_helpers/assert.ts";
import { extractLinks, gemtextTitle, parseGemtext, resolveLink } from "../../lib/gemtext/mod.ts";

// The reference resolution examples of RFC 3986 section 5.4, on a gemini base.
const BASE = "gemini://a/b/c/d;p?q";
const RFC3986: [string, string][] = [
  // 5.4.1 normal examples
  ["g:h", "g:h"],
  ["g", "gemini://a/b/c/g"],
  ["./g", "gemini://a/b/c/g"],
  ["g/", "gemini://a/b/c/g/"],
  ["/g", "gemini://a/g"],
  ["//g", "gemini://g"],
  ["?y", "gemini://a/b/c/d;p?y"],
  ["g?y", "gemini://a/b/c/g?y"],
  ["#s", "gemini://a/b/c/d;p?q#s"],
  ["g#s", "gemini://a/b/c/g#s"],
  ["g?y#s", "gemini://a/b/c/g?y#s"],
  [";x", "gemini://a/b/c/;x"],
  ["g;x", "gemini://a/b/c/g;x"],
  ["g;x?y#s", "gemini://a/b/c/g;x?y#s"],
  ["", "gemini://a/b/c/d;p?q"],
  [".", "gemini://a/b/c/"],
  ["./", "gemini://a/b/c/"],
  ["..", "gemini://a/b/"],
  ["../", "gemini://a/b/"],
  ["../g", "gemini://a/b/g"],
  ["../..", "gemini://a/"],
  ["../../", "gemini://a/"],
  ["../../g", "gemini://a/g"],
  // 5.4.2 abnormal examples
  ["../../../g", "gemini://a/g"],
  ["../../../../g", "gemini://a/g"],
  ["/./g", "gemini://a/g"],
  ["/../g", "gemini://a/g"],
  ["g.", "gemini://a/b/c/g."],
  [".g", "gemini://a/b/c/.g"],
  ["g..", "gemini://a/b/c/g.."],
  ["..g", "gemini://a/b/c/..g"],
  ["./../g", "gemini://a/b/g"],
  ["./g/.", "gemini://a/b/c/g/"],
  ["g/./h", "gemini://a/b/c/g/h"],
  ["g/../h", "gemini://a/b/c/h"],
  ["g;x=1/./y", "gemini://a/b/c/g;x=1/y"],
  ["g;x=1/../y", "gemini://a/b/c/y"],
  ["g?y/./x", "gemini://a/b/c/g?y/./x"],
  ["g?y/../x", "gemini://a/b/c/g?y/../x"],
  ["g#s/./x", "gemini://a/b/c/g#s/./x"],
  ["g#s/../x", "gemini://a/b/c/g#s/../x"],
  ["gemini:g", "gemini:g"], // strict parsers (section 5.2.2) keep the scheme
];

for (const [reference, expected] of RFC3986) {
  Deno.test(`resolveLink() follows RFC 3986 5.4: ${JSON.stringify(reference)} -> ${expected}`, () => {
    assertEquals(resolveLink(BASE, reference)?.href, expected);
  });
}

// Reference edge 71: relative links against the post-redirect URL.
const EDGE_71: [string, string][] = [
  ["foo", "gemini://example.org/dir/foo"],
  ["./foo", "gemini://example.org/dir/foo"],
  ["../foo", "gemini://example.org/foo"],
  ["/foo", "gemini://example.org/foo"],
  ["?q", "gemini://example.org/dir/page.gmi?q"],
  ["//otherhost/p", "gemini://otherhost/p"],
  ["mailto:me@example.org", "mailto:me@example.org"],
  ["https://example.com/x/../y", "https://example.com/y"],
  ["gopher://example.org:70/1/", "gopher://example.org:70/1/"],
];

for (const [reference, expected] of EDGE_71) {
  Deno.test(`resolveLink() edge 71: ${JSON.stringify(reference)} -> ${expected}`, () => {
    assertEquals(resolveLink("gemini://example.org/dir/page.gmi", reference)?.href, expected);
  });
}

Deno.test("resolveLink() puts a slash before a relative path on a base with an empty path", () => {
  assertEquals(resolveLink("gemini://example.org", "foo")?.href, "gemini://example.org/foo");
});

Deno.test("resolveLink() accepts a URL object as base and ignores its fragment", () => {
  assertEquals(
    resolveLink(new URL("gemini://example.org/a#frag"), "b")?.href,
    "gemini://example.org/b",
  );
});

Deno.test("resolveLink() returns null instead of throwing for bad bases and references", () => {
  assertEquals(resolveLink("relative/base", "x"), null);
  assertEquals(resolveLink("", "x"), null);
  assertEquals(resolveLink("gemini://example.org/", "1bad scheme:x"), null);
  assertEquals(resolveLink("gemini://example.org/", "gemini://[::1"), null);
});

Deno.test("resolveLink() handles a long run of dot segments in linear time", () => {
  const reference = "./".repeat(200_000) + "../".repeat(200_000) + "x";
  assertEquals(resolveLink("gemini://h/a/b", reference)?.href, "gemini://h/x");
});

Deno.test("extractLinks() lists link lines with resolved URLs and their line numbers", () => {
  const lines = parseGemtext("# T\n=> /a A\n```\n=> /not-a-link\n```\n=> b\n=> gemini://[bad");
  assertEquals(extractLinks(lines, "gemini://example.org/dir/"), [
    { reference: "/a", url: new URL("gemini://example.org/a"), label: "A", source: 1 },
    { reference: "b", url: new URL("gemini://example.org/dir/b"), source: 5 },
    { reference: "gemini://[bad", url: null, source: 6 },
  ]);
});

Deno.test("extractLinks() without a base resolves only absolute URLs", () => {
  const links = extractLinks(parseGemtext("=> /a\n=> gemini://h/x/../y"));
  assertEquals(links.map((l) => l.url?.href ?? null), [null, "gemini://h/y"]);
});

Deno.test("gemtextTitle() is the first heading with text, trimmed", () => {
  assertEquals(gemtextTitle(parseGemtext("text\n#\n### Sub \n# Main")), "Sub");
  assertEquals(gemtextTitle(parseGemtext("```\n# in a block\n```")), undefined);
  assertEquals(gemtextTitle([]), undefined);
});
