import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { DATA_URL_DEFAULT_TYPE, parseDataUrl } from "../../lib/protocol/data_url.ts";

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

Deno.test("parseDataUrl() decodes media types, percent-encoding and base64 (RFC 2397)", () => {
  const table: [string, string, boolean, string][] = [
    ["data:,", DATA_URL_DEFAULT_TYPE, false, ""],
    ["data:,A%20brief%20note", DATA_URL_DEFAULT_TYPE, false, "A brief note"],
    ["DATA:,x", DATA_URL_DEFAULT_TYPE, false, "x"],
    ["data:;charset=utf-8,caf%C3%A9", "text/plain;charset=utf-8", false, "café"],
    ["data:text/gemini,%23 Hi", "text/gemini", false, "# Hi"],
    ["data:text/plain,café", "text/plain", false, "café"],
    ["data:,a,b", DATA_URL_DEFAULT_TYPE, false, "a,b"],
    ["data:,100%", DATA_URL_DEFAULT_TYPE, false, "100%"],
    ["data:,%zz", DATA_URL_DEFAULT_TYPE, false, "%zz"],
    ["data:,kept#fragment", DATA_URL_DEFAULT_TYPE, false, "kept"],
    ["data:text/plain;base64,", "text/plain", true, ""],
    ["data:;base64,YQ==", DATA_URL_DEFAULT_TYPE, true, "a"],
    ["data:;base64,YQ", DATA_URL_DEFAULT_TYPE, true, "a"],
    ["data:;BASE64,YWI=", DATA_URL_DEFAULT_TYPE, true, "ab"],
    ["data:;base64,YWJj", DATA_URL_DEFAULT_TYPE, true, "abc"],
    ["data:;base64,Y W J j", DATA_URL_DEFAULT_TYPE, true, "abc"],
    ["data:;base64,YW%4Aj", DATA_URL_DEFAULT_TYPE, true, "abc"],
    ["data:image/png;base64,iVBORw0KGgo=", "image/png", true, "\x89PNG\r\n\x1a\n"],
  ];
  for (const [url, mediaType, base64, body] of table) {
    const parsed = parseDataUrl(url);
    assertEquals([parsed.mediaType, parsed.base64], [mediaType, base64], url);
    if (url.startsWith("data:image/")) {
      assertEquals(String.fromCharCode(...parsed.bytes), body, url);
    } else {
      assertEquals(text(parsed.bytes), body, url);
    }
  }
});

Deno.test("parseDataUrl() refuses what is not a data: URL, no comma and invalid base64", () => {
  const table: [string, string][] = [
    ["gemini://example.org/", "is not a data: URL"],
    ["data:text/plain", "has no comma"],
    ["data:", "has no comma"],
    ["data:;base64,YWJjZ", "not valid base64"],
    ["data:;base64,YW!j", "not valid base64"],
    ["data:;base64,YQ===", "not valid base64"],
  ];
  for (const [url, message] of table) {
    assertThrows(() => parseDataUrl(url), SyntaxError, message);
  }
});
