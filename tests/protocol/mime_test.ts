import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  DEFAULT_MEDIA_TYPE,
  formatMediaType,
  isTextType,
  MediaTypeError,
  parseMediaType,
} from "../../lib/protocol/mod.ts";

Deno.test("parseMediaType() lower-cases type, subtype and parameter names", () => {
  assertEquals(parseMediaType("Text/GEMINI; CHARSET=UTF-8; Lang=en-GB"), {
    type: "text",
    subtype: "gemini",
    essence: "text/gemini",
    params: { charset: "UTF-8", lang: "en-GB" },
    charset: "utf-8",
    lang: "en-GB",
  });
});

Deno.test("parseMediaType() reads quoted values with escapes and unquoted lists", () => {
  assertEquals(parseMediaType('text/gemini; lang="en,fr"').lang, "en,fr");
  assertEquals(parseMediaType("text/gemini; lang=en,fr").lang, "en,fr");
  assertEquals(parseMediaType('text/plain; x="a;b\\"c"; y=1').params, { x: 'a;b"c', y: "1" });
});

Deno.test("parseMediaType() skips empty and value-less parameters, first duplicate wins", () => {
  assertEquals(parseMediaType("text/plain;;  ; flag; a=1; a=2").params, { a: "1" });
  assertEquals(parseMediaType("text/plain;").params, {});
});

Deno.test("parseMediaType() is safe with a __proto__ parameter", () => {
  const mt = parseMediaType("text/plain; __proto__=x");
  assertEquals(Object.getPrototypeOf(mt.params), Object.prototype);
  assertEquals(mt.params.__proto__, "x");
});

Deno.test("parseMediaType() rejects input without type/subtype", () => {
  for (const bad of ["", "text", "text/", "/plain", "text/plain/x", "te xt/plain", "; a=b"]) {
    assertThrows(() => parseMediaType(bad), MediaTypeError, undefined);
  }
  assert(new MediaTypeError("m", "i", 0) instanceof SyntaxError);
});

Deno.test("formatMediaType() quotes non-token values and round-trips", () => {
  const mt = parseMediaType('text/gemini; charset=utf-8; lang="en,fr"');
  assertEquals(formatMediaType(mt), 'text/gemini; charset=utf-8; lang="en,fr"');
  assertEquals(parseMediaType(formatMediaType(mt)), mt);
  assertEquals(
    formatMediaType({ ...parseMediaType('a/b; x="q\\"q"'), charset: "utf-8" }),
    'a/b; x="q\\"q"; charset=utf-8',
  );
  assertThrows(() => formatMediaType({ ...mt, params: { x: "a\r\nb" } }), TypeError);
});

Deno.test("DEFAULT_MEDIA_TYPE is text/gemini; charset=utf-8 and frozen", () => {
  assertEquals(formatMediaType(DEFAULT_MEDIA_TYPE), "text/gemini; charset=utf-8");
  assert(Object.isFrozen(DEFAULT_MEDIA_TYPE) && Object.isFrozen(DEFAULT_MEDIA_TYPE.params));
});

Deno.test("isTextType() is true for text/* only", () => {
  assert(isTextType("text/gemini") && isTextType(parseMediaType("TEXT/plain")));
  assert(!isTextType("image/png") && !isTextType("application/gemini"));
});
