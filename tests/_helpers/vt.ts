/**
 * A tiny terminal emulator for tests of what the browser writes: a grid of cells, the cursor,
 * and the few sequences `paint()` uses (cursor position, erase line and screen; styles,
 * private modes and OSC strings are read and ignored). A tab moves the cursor to the next
 * stop without writing, as a real terminal does; that is how stale cells show.
 */

import { displayWidth } from "../../lib/gemtext/render.ts";

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** A screen of `width` x `height` cells. */
export class VirtualTerminal {
  #cells: string[][];
  #row = 0;
  #col = 0;
  readonly width: number;
  readonly height: number;

  /** A screen filled with `fill` (a dirty screen). */
  constructor(width: number, height: number, fill = " ") {
    this.width = width;
    this.height = height;
    this.#cells = Array.from({ length: height }, () => Array(width).fill(fill));
  }

  /** The rows as text, trailing blanks removed. */
  rows(): string[] {
    return this.#cells.map((r) => r.join("").replace(/ +$/, ""));
  }

  /** Applies terminal output. */
  write(text: string): void {
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === "\x1b") {
        i = this.#escape(text, i);
        continue;
      }
      if (ch === "\t") {
        this.#col = Math.min(this.width - 1, (Math.floor(this.#col / 8) + 1) * 8);
        i++;
        continue;
      }
      if (ch < " ") {
        i++;
        continue;
      }
      const segment = SEGMENTER.segment(text.slice(i)).containing(0)!.segment;
      this.#put(segment);
      i += segment.length;
    }
  }

  #put(grapheme: string): void {
    const w = displayWidth(grapheme);
    if (this.#row >= this.height || this.#col + w > this.width) return;
    this.#cells[this.#row][this.#col] = grapheme;
    for (let k = 1; k < w; k++) this.#cells[this.#row][this.#col + k] = "";
    this.#col += w;
  }

  #escape(text: string, i: number): number {
    const next = text[i + 1];
    if (next === "]") {
      const end = text.indexOf("\x07", i);
      return end < 0 ? text.length : end + 1;
    }
    if (next !== "[") return i + 2;
    let j = i + 2;
    while (j < text.length && /[0-9;?]/.test(text[j])) j++;
    const params = text.slice(i + 2, j);
    const final = text[j];
    const n = params.split(";").map((p) => Number(p.replace("?", "")) || 0);
    if (final === "H") {
      this.#row = Math.max(0, (n[0] || 1) - 1);
      this.#col = Math.max(0, (n[1] || 1) - 1);
    } else if (final === "K") {
      const row = this.#cells[this.#row];
      if (row) {
        const from = n[0] === 2 ? 0 : this.#col;
        for (let c = from; c < this.width; c++) row[c] = " ";
      }
    } else if (final === "J" && n[0] === 2) {
      for (const row of this.#cells) row.fill(" ");
    }
    return j + 1;
  }
}
