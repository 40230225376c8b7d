/** Property tests for the browser's pure parts: key decoding across reads, and the screen. */

import fc from "fast-check";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { decodeKeys } from "../../../lib/cli/browse/terminal.ts";
import { displayWidth } from "../../../lib/gemtext/render.ts";
import { initialState, update, view } from "../../../lib/cli/browse/model.ts";

const ENCODED: [string, string][] = [
  ["\x1b[A", "up"],
  ["\x1b[B", "down"],
  ["\x1b[5~", "pageup"],
  ["\x1b[6~", "pagedown"],
  ["\x1b[Z", "shift-tab"],
  ["\x1bOH", "home"],
  ["\t", "tab"],
  ["\r", "enter"],
  ["\x7f", "backspace"],
  ["j", "j"],
  ["日", "日"],
  ["😀", "😀"],
];

Deno.test("decodeKeys() gives the same keys however the input is split into reads", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: ENCODED.length - 1 }), { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (picks, cuts) => {
        const text = picks.map((i) => ENCODED[i][0]).join("");
        const expected = picks.map((i) => ENCODED[i][1]);
        // Split by UTF-16 code units, but never inside a surrogate pair (the byte decoder
        // hands over whole characters).
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
          .filter((p) => !(p > 0 && p < text.length && /[\udc00-\udfff]/.test(text[p])));
        const keys: string[] = [];
        let rest = "";
        let at = 0;
        for (const p of [...points, text.length]) {
          const r = decodeKeys(rest + text.slice(at, p), false);
          keys.push(...r.keys);
          rest = r.rest;
          at = p;
        }
        keys.push(...decodeKeys(rest, true).keys);
        assertEquals(keys, expected);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("view() always draws height lines no wider than the window", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 400 }),
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 3, max: 40 }),
      fc.array(fc.constantFrom("j", "k", " ", "G", "g", "tab", "shift-tab", "pageup"), {
        maxLength: 10,
      }),
      (body, width, height, keys) => {
        let s = initialState({ width, height });
        s = { ...s, loading: { id: 1, url: "gemini://a.example/", nav: "push" }, nextId: 2 };
        s = update(s, {
          type: "loaded",
          id: 1,
          page: { url: "gemini://a.example/", body, mediaType: "text/gemini" },
        }).state;
        for (const k of keys) s = update(s, k).state;
        const lines = view(s);
        assertEquals(lines.length, height);
        for (const line of lines) {
          assert((line.indent ?? 0) + displayWidth(line.plain) <= width, line.plain);
        }
        assert(s.scroll >= 0 && s.scroll <= Math.max(0, s.layout.rows.length - (height - 2)));
      },
    ),
    { numRuns: 300 },
  );
});
