import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  formatGopherRequest,
  gopherItemUrl,
  gopherMenuToGemtext,
  gopherTypeToMediaType,
  parseGopherMenu,
  parseGopherUrl,
  UrlError,
} from "../../lib/protocol/mod.ts";
import { GOPHER_TYPES } from "../../lib/protocol/gopher.ts";

Deno.test("parseGopherUrl() reads type, selector, search and port", () => {
  assertEquals(parseGopherUrl("gopher://example.org"), {
    host: "example.org",
    port: 70,
    type: "1",
    selector: "",
  });
  assertEquals(parseGopherUrl("gopher://example.org:7070/0/about%20me.txt"), {
    host: "example.org",
    port: 7070,
    type: "0",
    selector: "/about me.txt",
  });
  assertEquals(parseGopherUrl("gopher://h/7/s%09a%20b%09+").search, "a b");
  assertEquals(parseGopherUrl("gopher://h/7/s?q%20r").search, "q r");
  assertEquals(parseGopherUrl("gopher://h/11/").selector, "1/");
  assertEquals(parseGopherUrl("gopher://[::1]/1").host, "::1");
  assertEquals(parseGopherUrl("gopher://h/0100%25").selector, "100%");
});

Deno.test("parseGopherUrl() refuses other schemes and line breaks", () => {
  assertEquals(assertThrows(() => parseGopherUrl("gemini://h/"), UrlError).reason, "scheme");
  assertEquals(assertThrows(() => parseGopherUrl("gopher://h/0a%0Db"), UrlError).reason, "invalid");
  assertEquals(assertThrows(() => parseGopherUrl("not a url"), UrlError).reason, "invalid");
});

Deno.test("formatGopherRequest() sends selector TAB search CRLF", () => {
  assertEquals(formatGopherRequest("/x"), "/x\r\n");
  assertEquals(formatGopherRequest("/s", "a b"), "/s\ta b\r\n");
  assertThrows(() => formatGopherRequest("a\tb"), TypeError);
  assertThrows(() => formatGopherRequest("a\r\n"), TypeError);
  assertThrows(() => formatGopherRequest("a", "b\nc"), TypeError);
});

Deno.test("parseGopherMenu() parses typed items and stops at the . line", () => {
  const menu = [
    "iWelcome to my hole\tfake\t(NULL)\t0",
    "0About\t/about.txt\texample.org\t70",
    "1Phlog\t/phlog\texample.org\t7070",
    "7Search\t/search\texample.org\t70",
    "3Oops\t\terror.host\t1",
    "hWeb\tURL:https://example.com/\texample.org\t70",
    ".",
    "0After the end\t/x\th\t70",
  ].join("\r\n");
  const items = parseGopherMenu(menu);
  assertEquals(items.map((i) => i.kind), ["info", "text", "menu", "search", "error", "html"]);
  assertEquals(items[2], {
    type: "1",
    kind: "menu",
    display: "Phlog",
    selector: "/phlog",
    host: "example.org",
    port: 7070,
  });
});

Deno.test("parseGopherMenu() tolerates LF-only, missing fields, no . line and junk ports", () => {
  const items = parseGopherMenu("0Only display\n1Sel\t/s\n9Bin\t/b\th\tnope\n\nXodd\t/x\th\t70\n");
  assertEquals(items.length, 5);
  assertEquals([items[0].selector, items[0].host, items[0].port], ["", "", 70]);
  assertEquals([items[1].selector, items[1].host], ["/s", ""]);
  assertEquals(items[2].port, 70);
  assertEquals([items[3].kind, items[3].display], ["info", ""]);
  assertEquals(items[4].kind, "unknown");
  assertEquals(parseGopherMenu(""), []);
  assertEquals(parseGopherMenu(".\r\n"), []);
});

Deno.test("parseGopherMenu() reads an empty port field as 70 (edge case 73)", () => {
  const [item, noTab] = parseGopherMenu("1Dir\t/sel\th\t\r\n0Doc\t/d\th\r\n.\r\n");
  assertEquals([item.host, item.port, item.selector], ["h", 70, "/sel"]);
  assertEquals([noTab.host, noTab.port], ["h", 70]);
});

Deno.test("gopherItemUrl() builds gopher, http and telnet links", () => {
  const [text, info, html, telnet, other] = parseGopherMenu(
    "0Doc\t/a b%?#.txt\th\t70\niHi\t\t\t\nhWeb\tURL:https://x/\th\t70\n8Tel\t\tbbs\t2323\n1M\t/m\th\t71\n",
  );
  assertEquals(gopherItemUrl(text), "gopher://h/0/a%20b%25%3F%23.txt");
  assertEquals(gopherItemUrl(info), undefined);
  assertEquals(gopherItemUrl(html), "https://x/");
  assertEquals(gopherItemUrl(telnet), "telnet://bbs:2323/");
  assertEquals(gopherItemUrl(other), "gopher://h:71/1/m");
  const [noHost] = parseGopherMenu("1M\t/m\n");
  assertEquals(gopherItemUrl(noHost), undefined);
  assertEquals(gopherItemUrl(noHost, { host: "o", port: 7 }), "gopher://o:7/1/m");
});

Deno.test("gopherItemUrl() round-trips through parseGopherUrl()", () => {
  const [item] = parseGopherMenu("0Doc\t/dir/naïve file%.txt\texample.org\t70\n");
  const url = gopherItemUrl(item)!;
  const parsed = parseGopherUrl(url);
  assertEquals([parsed.type, parsed.selector, parsed.host], ["0", item.selector, item.host]);
});

Deno.test("gopherMenuToGemtext() renders links and preformatted info runs", () => {
  const fence = "`".repeat(3);
  const items = parseGopherMenu(
    [
      "i  _  ",
      `i${fence} tricky`,
      "1Docs\t/docs\texample.org\t70",
      "0\t/empty-display.txt\texample.org\t70",
      "3Not found\t\t\t",
      ".",
    ].join("\n"),
  );
  assertEquals(
    gopherMenuToGemtext(items, { host: "example.org" }),
    [
      fence,
      "  _  ",
      ` ${fence} tricky`,
      fence,
      "=> gopher://example.org/1/docs Docs",
      "=> gopher://example.org/0/empty-display.txt /empty-display.txt",
      fence,
      "Not found",
      fence,
      "",
    ].join("\n"),
  );
  assertEquals(gopherMenuToGemtext([], { host: "h" }), "");
});

Deno.test("gopherTypeToMediaType() maps the common types", () => {
  const expected: Record<string, string> = {
    "0": "text/plain",
    "1": "text/gemini",
    "7": "text/gemini",
    "h": "text/html",
    "g": "image/gif",
    "p": "image/png",
    "9": "application/octet-stream",
    "I": "application/octet-stream",
    "?": "application/octet-stream",
  };
  for (const [type, mediaType] of Object.entries(expected)) {
    assertEquals(gopherTypeToMediaType(type), mediaType, type);
  }
  assert(Object.keys(GOPHER_TYPES).length >= 19);
});
