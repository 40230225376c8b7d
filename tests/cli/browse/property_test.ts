/** Property tests for the browser's pure parts: key decoding across reads, and the screen. */

import fc from "fast-check";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { decodeKeys } from "../../../lib/cli/browse/terminal.ts";
import { displayWidth } from "../../../lib/gemtext/render.ts";
import {
  contentHeight,
  cursorPosition,
  initialState,
  update,
  view,
} from "../../../lib/cli/browse/model.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

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
        // Never scrolled past the page (the area below the status line may take several rows
        // for a long message, so the bound is the page rows less those that show).
        assert(s.scroll >= 0 && s.scroll <= Math.max(0, s.layout.rows.length - contentHeight(s)));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a prompt or message of any length fits the window; every choice shows when there is room", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.array(fc.string({ unit: "grapheme", maxLength: 40 }), { maxLength: 12 }),
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 4 }),
      fc.integer({ min: 1, max: 200 }),
      fc.integer({ min: 3, max: 50 }),
      fc.constantFrom("choice", "input", "secret", "message"),
      fc.array(fc.constantFrom("a", "left", "home", "pagedown", "pageup", "ctrl-w", "x"), {
        maxLength: 8,
      }),
      (label, details, choiceLabels, width, height, kind, keys) => {
        let s = initialState({ width, height });
        if (kind === "message") s = update(s, { type: "message", text: label }).state;
        else {
          const choices = choiceLabels.map((l, i) => ({ key: String(i + 1), label: l, value: l }));
          s = update(s, {
            type: "ask",
            prompt: { kind, id: 1, label, value: "", details, choices },
          }).state;
        }
        for (const k of keys) s = update(s, k).state;
        const lines = view(s);
        assertEquals(lines.length, height);
        for (const line of lines) {
          const used = (line.indent ?? 0) + displayWidth(line.plain) +
            (line.hint ? 3 + displayWidth(line.hint) : 0);
          assert(used <= width, JSON.stringify(line));
          assert(!CONTROL.test(line.plain), JSON.stringify(line.plain));
        }
        const cursor = cursorPosition(s);
        if (cursor) assert(cursor.row < height && cursor.col < width, JSON.stringify(cursor));
        // Every choice whole on some row, when each fits a row and the window has room.
        const tokens = (s.prompt?.choices ?? []).map((c) => `[${c.key}] ${c.label}`);
        const rows = lines.map((l) => l.plain);
        if (
          s.prompt?.kind === "choice" && width >= 40 && height >= 24 &&
          tokens.every((t) => displayWidth(t) <= width && !CONTROL.test(t))
        ) {
          for (const t of tokens) {
            assert(rows.some((r) => r.includes(t)), `${t}\n${rows.join("\n")}`);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
