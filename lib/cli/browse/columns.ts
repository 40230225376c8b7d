/**
 * Text measured in terminal columns for `gemini browse`: cut to a width, take a window of
 * columns (sideways scrolling), and make text safe to draw. Pure.
 *
 * @module
 */

import { stripControls } from "../../gemtext/controls.ts";
import { displayWidth } from "../../gemtext/render.ts";

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * `text` with every control character (tab and ESC included) shown as U+FFFD, so that drawing
 * it moves the cursor exactly one cell per column and never drives the terminal.
 *
 * @example
 * ```ts
 * import { printable } from "./columns.ts";
 * import assert from "node:assert/strict";
 * assert.equal(printable("a\tb\x1b[2J"), "a\uFFFDb\uFFFD[2J");
 * ```
 */
export function printable(text: string): string {
  return stripControls(text);
}

/**
 * The grapheme clusters of `text`.
 *
 * @example
 * ```ts
 * import { graphemes } from "./columns.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(graphemes("ae\u0301"), ["a", "e\u0301"]);
 * ```
 */
export function graphemes(text: string): string[] {
  return Array.from(SEGMENTER.segment(text), (s) => s.segment);
}

/**
 * Cuts `text` to at most `width` display columns (a wide character that would straddle the
 * edge is left out).
 *
 * @example
 * ```ts
 * import { fitWidth } from "./columns.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fitWidth("abcdef", 4), "abcd");
 * assert.equal(fitWidth("日本語", 5), "日本");
 * ```
 */
export function fitWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const g of graphemes(text)) {
    const w = displayWidth(g);
    if (used + w > width) break;
    out += g;
    used += w;
  }
  return out;
}

/**
 * The columns `[start, start + width)` of `text`. A wide character cut by either edge becomes
 * a space, so the result is exactly as wide as the columns it covers.
 *
 * @example
 * ```ts
 * import { sliceColumns } from "./columns.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sliceColumns("0123456789", 3, 4), "3456");
 * assert.equal(sliceColumns("a日本", 2, 3), " 本");
 * assert.equal(sliceColumns("abc", 5, 4), "");
 * ```
 */
export function sliceColumns(text: string, start: number, width: number): string {
  if (start <= 0) return fitWidth(text, width);
  let out = "";
  let column = 0;
  let used = 0;
  for (const g of graphemes(text)) {
    const w = displayWidth(g);
    const end = column + w;
    if (end <= start) {
      column = end;
      continue;
    }
    if (column < start) {
      // Straddles the left edge: its visible part is blank.
      const part = Math.min(end - start, width - used);
      out += " ".repeat(part);
      used += part;
    } else if (used + w <= width) {
      out += g;
      used += w;
    } else {
      out += " ".repeat(width - used);
      used = width;
    }
    column = end;
    if (used >= width) break;
  }
  return out;
}
