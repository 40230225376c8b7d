import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { checkUrlText } from "../../lib/client/url_text.ts";
import { ClientError } from "../../lib/client/types.ts";

Deno.test("checkUrlText() refuses every C0 control character and DEL inside a URL, naming it and where", () => {
  const codes = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f];
  for (const code of codes) {
    const text = `gemini://example.org/a${String.fromCharCode(code)}b`;
    const hex = code.toString(16).toUpperCase().padStart(2, "0");
    const error = assertThrows(() => checkUrlText(text), ClientError);
    assertEquals(error.code, "bad-url");
    assertEquals(
      error.message,
      `URL ${
        JSON.stringify(text)
      } has control character U+00${hex} at character 23; percent-encode it (%${hex}) if it belongs there`,
    );
  }
});

Deno.test("checkUrlText() trims the ends as the URL parser does and accepts percent-encoded controls", () => {
  checkUrlText(" \t gemini://example.org/a%0Ab \r\n");
  checkUrlText("gemini://example.org/caf\u00e9?\u0080"); // U+0080 is not a C0 control
  const error = assertThrows(() => checkUrlText(" gemini://x/\u0000 "), ClientError);
  assertEquals(error.message.includes("U+0000 at character 12"), true);
});
