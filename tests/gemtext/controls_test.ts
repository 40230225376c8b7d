/**
 * The control-character rule of every terminal printer (renderer, browse, get, cert): the
 * exact set at its edges, the options, and properties over arbitrary text (nothing of the set
 * survives, nothing else changes, the result is a fixed point).
 */

import fc from "fast-check";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { stripControls } from "../../lib/gemtext/controls.ts";

const RUNS = { numRuns: 500 };

/** Strings rich in controls and their neighbours (C0, DEL, C1, NBSP, surrogates). */
const TEXT = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 0x1f }),
    fc.integer({ min: 0x7e, max: 0xa0 }),
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0xa1, max: 0xffff }),
  ).map((code) => String.fromCharCode(code)),
  { maxLength: 60 },
).map((chars) => chars.join(""));

const OPTIONS = fc.record({
  tab: fc.boolean(),
  newline: fc.boolean(),
  replacement: fc.constantFrom(undefined, "", "\uFFFD", "?"),
});

/** The set stripControls() takes out, as the spec says it: C0, DEL and C1. */
function isControlCharacter(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

Deno.test("stripControls() takes out exactly C0, DEL and C1, at the edges of each range", () => {
  const table: [number, boolean][] = [
    [0x00, true],
    [0x09, true],
    [0x0a, true],
    [0x1b, true],
    [0x1f, true],
    [0x20, false],
    [0x7e, false],
    [0x7f, true],
    [0x80, true],
    [0x9b, true],
    [0x9f, true],
    [0xa0, false],
    [0x2028, false],
    [0xfffd, false],
  ];
  for (const [code, control] of table) {
    const ch = String.fromCharCode(code);
    assertEquals(stripControls(ch), control ? "\uFFFD" : ch, code.toString(16));
  }
});

Deno.test("stripControls() replaces every control with U+FFFD unless tab or newline are kept", () => {
  const every = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join("");
  const out = stripControls(every);
  assertEquals(out.length, every.length);
  for (let i = 0; i < every.length; i++) {
    assertEquals(out[i], isControlCharacter(i) ? "\uFFFD" : every[i], i.toString(16));
  }
  assertEquals(stripControls("a\tb\nc"), "a\uFFFDb\uFFFDc");
  assertEquals(stripControls("a\tb\nc", { tab: true }), "a\tb\uFFFDc");
  assertEquals(stripControls("a\tb\nc", { newline: true }), "a\uFFFDb\nc");
  assertEquals(stripControls("a\tb\r\nc", { tab: true, newline: true }), "a\tb\uFFFD\nc");
  assertEquals(
    stripControls("\x1b]0;title\x07\x9b2J\x7f\r", { replacement: "" }),
    "]0;title2J",
  );
});

Deno.test("stripControls() leaves no control of the set in any text (property)", () => {
  fc.assert(
    fc.property(TEXT, OPTIONS, (text, options) => {
      const out = stripControls(text, options);
      for (const ch of out) {
        const code = ch.codePointAt(0)!;
        if (!isControlCharacter(code)) continue;
        assert(
          (code === 0x09 && options.tab) || (code === 0x0a && options.newline),
          `${JSON.stringify(text)} -> ${JSON.stringify(out)}`,
        );
      }
    }),
    RUNS,
  );
});

Deno.test("stripControls() changes nothing but the controls (property)", () => {
  fc.assert(
    fc.property(TEXT, OPTIONS, (text, options) => {
      const replacement = options.replacement ?? "\uFFFD";
      const kept = (ch: string): boolean =>
        !isControlCharacter(ch.charCodeAt(0)) || (ch === "\t" && options.tab === true) ||
        (ch === "\n" && options.newline === true);
      // One UTF-16 unit at a time (a lone surrogate too): each is kept or replaced.
      const expected = text.split("").map((ch) => kept(ch) ? ch : replacement).join("");
      assertEquals(stripControls(text, options), expected);
    }),
    RUNS,
  );
});

Deno.test("stripControls() is a fixed point and keeps the length with one-unit replacements", () => {
  fc.assert(
    fc.property(TEXT, OPTIONS, (text, options) => {
      const once = stripControls(text, options);
      assertEquals(stripControls(once, options), once);
      if ((options.replacement ?? "\uFFFD").length === 1) assertEquals(once.length, text.length);
    }),
    RUNS,
  );
});
