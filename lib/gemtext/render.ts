/**
 * A terminal renderer for gemtext: wraps by display width, numbers links, styles line types
 * with ANSI colour when asked to, and leaves preformatted text alone.
 *
 * @module
 */

import stringWidth from "string-width";
import { _absoluteUrl, resolveLink } from "./links.ts";
import { stripControls } from "./controls.ts";
import { parseGemtext } from "./parse.ts";
import type {
  GemtextHeadingLine,
  GemtextLine,
  GemtextLinkLine,
  GemtextListLine,
  GemtextPreformattedLine,
  GemtextPreformatToggleLine,
  GemtextQuoteLine,
} from "./types.ts";

/** An ANSI style: the sequence that starts it and the one that ends it. */
export interface RenderStyle {
  /** Written before the styled text. */
  open: string;
  /** Written after the styled text. */
  close: string;
}

/** The parts of a rendered document that get a style. */
export type RenderStyleName =
  | "heading1"
  | "heading2"
  | "heading3"
  | "link"
  | "linkNumber"
  | "list"
  | "quote"
  | "preformatted"
  | "altText";

/** A style for every {@linkcode RenderStyleName}. */
export type RenderStyles = Record<RenderStyleName, RenderStyle>;

/**
 * The default styles (SGR sequences, each closed by its own reset so styles nest): headings
 * bold (level 1 magenta, level 2 cyan), link labels blue with yellow numbers, list bullets
 * green, quotes italic, alt text dim, preformatted text unstyled.
 *
 * @example
 * ```ts
 * import { RENDER_STYLES } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(RENDER_STYLES.altText.open, "\x1b[2m");
 * ```
 */
export const RENDER_STYLES: Readonly<RenderStyles> = Object.freeze({
  heading1: { open: "\x1b[1;35m", close: "\x1b[22;39m" },
  heading2: { open: "\x1b[1;36m", close: "\x1b[22;39m" },
  heading3: { open: "\x1b[1m", close: "\x1b[22m" },
  link: { open: "\x1b[34m", close: "\x1b[39m" },
  linkNumber: { open: "\x1b[33m", close: "\x1b[39m" },
  list: { open: "\x1b[32m", close: "\x1b[39m" },
  quote: { open: "\x1b[3m", close: "\x1b[23m" },
  preformatted: { open: "", close: "" },
  altText: { open: "\x1b[2m", close: "\x1b[22m" },
});

/** Options for {@linkcode renderGemtext}. */
export interface RenderOptions {
  /** Columns available. A positive number; `Infinity` turns wrapping off. */
  width: number;
  /** Whether to emit ANSI styles. Decide with {@linkcode shouldUseColor}. */
  color: boolean;
  /** The document's URL: links are resolved against it. Default: none (links stay as written). */
  baseUrl?: string | URL;
  /** The number of the first link. Default: 1. */
  linkNumberStart?: number;
  /** Styles replacing some or all of {@linkcode RENDER_STYLES}. */
  styles?: Partial<RenderStyles>;
  /**
   * Link schemes shown without a `(scheme)` marker. Default: `["gemini"]`; a browser adds its
   * own internal scheme (e.g. `about`).
   */
  quietSchemes?: readonly string[];
  /**
   * Expands tabs in preformatted lines to stops every `tabWidth` columns (a terminal draws a
   * tab by moving the cursor, which leaves whatever was on screen in the cells it skips).
   * Default: tabs in preformatted lines are kept as they are.
   */
  tabWidth?: number;
}

/** One terminal row of output. */
export interface RenderedRow {
  /** The row as printed: `plain` plus ANSI styles when colour is on. */
  text: string;
  /** The row without any ANSI sequence. */
  plain: string;
  /** Index of the source line in the document. */
  source: number;
  /** The number of the link this row shows, on every row of a link line. */
  link?: number;
  /** The row is a preformatted line (never wrapped, so it may be wider than the width). */
  preformatted?: boolean;
}

/** One numbered link of a rendered document. */
export interface RenderedLink {
  /** The number shown as `[n]`. */
  number: number;
  /**
   * The link resolved against `baseUrl` (absolute), or exactly as written when it cannot be
   * resolved; then it may hold control characters, so sanitize it before printing it.
   */
  url: string;
  /** The label as shown: the link's label, or its URL as written when it has none. */
  label: string;
  /** Index of the link's first row in `rows`. */
  row: number;
  /** Index of the link line in the document. */
  source: number;
}

/** What {@linkcode renderGemtext} returns. */
export interface RenderResult {
  /** The rows to print, top to bottom. */
  rows: RenderedRow[];
  /** The links in order of their numbers. */
  links: RenderedLink[];
}

/** Options for {@linkcode wrapText}. */
export interface WrapOptions {
  /**
   * Written at the start of every row after the first (a hanging indent); it counts towards
   * the width. Dropped when it would leave no room. Default: `""`.
   */
  indent?: string;
}

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const WIDTH_CACHE = new Map<string, number>();
const WIDTH_CACHE_CAP = 4096;

/**
 * The number of terminal columns `text` takes: East Asian wide characters and most emoji
 * count 2, combining marks and zero-width characters 0, ANSI escape sequences 0.
 *
 * @example
 * ```ts
 * import { displayWidth } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(displayWidth("abc"), 3);
 * assert.equal(displayWidth("日本"), 4);
 * assert.equal(displayWidth("e\u0301"), 1);
 * ```
 */
export function displayWidth(text: string): number {
  if (ASCII_PRINTABLE.test(text)) return text.length;
  if (text.includes("\x1b")) return stringWidth(text);
  // string-width sums the widths of grapheme clusters; doing the same here lets repeated
  // clusters (a CJK or emoji text) come from a small cache instead of being measured again.
  let width = 0;
  for (const { segment } of SEGMENTER.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** Width of one grapheme cluster, memoized (the cache is emptied when it reaches its cap). */
function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1) {
    const code = grapheme.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) return 1;
  }
  let width = WIDTH_CACHE.get(grapheme);
  if (width === undefined) {
    width = stringWidth(grapheme);
    if (WIDTH_CACHE.size >= WIDTH_CACHE_CAP) WIDTH_CACHE.clear();
    WIDTH_CACHE.set(grapheme, width);
  }
  return width;
}

/**
 * Decides whether output should be coloured: only on a terminal, and not when the `NO_COLOR`
 * environment variable is set to a non-empty value (https://no-color.org). Pure: the caller
 * reads the environment and the TTY state.
 *
 * @example
 * ```ts
 * import { shouldUseColor } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shouldUseColor({ isTty: true }), true);
 * assert.equal(shouldUseColor({ isTty: true, NO_COLOR: "1" }), false);
 * assert.equal(shouldUseColor({ isTty: false }), false);
 * ```
 */
export function shouldUseColor(env: { NO_COLOR?: string; isTty: boolean }): boolean {
  return env.isTty && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

function checkWidth(width: number): number {
  if (width === Infinity) return width;
  if (!(width >= 1) || !Number.isFinite(width)) {
    throw new RangeError(`Width must be a positive number of columns, got ${width}`);
  }
  return Math.floor(width);
}

/**
 * Wraps one line of text into rows of at most `width` columns of display width. Breaks at
 * spaces, never joins anything, drops the spaces where it breaks, keeps leading spaces of the
 * first row when the first word fits after them, and hard-breaks (between grapheme clusters)
 * a word wider than a row, starting right after the previous word (so text without spaces,
 * like Chinese or Japanese, fills every row). A grapheme wider than the whole width gets a row
 * of its own.
 * Always returns at least one row.
 *
 * @example
 * ```ts
 * import { wrapText } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(wrapText("the quick brown fox", 10), ["the quick", "brown fox"]);
 * assert.deepEqual(wrapText("* one two three", 8, { indent: "  " }), ["* one", "  two", "  three"]);
 * assert.deepEqual(wrapText("abcdefgh", 3), ["abc", "def", "gh"]);
 * assert.deepEqual(wrapText("日本語テキスト", 6), ["日本語", "テキス", "ト"]);
 * ```
 *
 * @param text The text (one line; no control characters).
 * @param width Columns per row: a positive number, or `Infinity` for no wrapping.
 * @param options See {@linkcode WrapOptions}.
 * @throws {RangeError} when `width` is not a positive number.
 */
export function wrapText(text: string, width: number, options: WrapOptions = {}): string[] {
  const max = checkWidth(width);
  if (max === Infinity || (text.length <= max && ASCII_PRINTABLE.test(text))) return [text];
  let indent = options.indent ?? "";
  let indentWidth = displayWidth(indent);
  if (indentWidth >= max) {
    indent = "";
    indentWidth = 0;
  }
  const rows: string[] = [];
  let row = "";
  let rowWidth = 0;
  let hasWord = false;
  let space = "";
  const newRow = (): void => {
    rows.push(row);
    row = indent;
    rowWidth = indentWidth;
    hasWord = false;
    space = "";
  };
  for (const token of text.split(/( +)/)) {
    if (token === "") continue;
    if (token.startsWith(" ")) {
      if (hasWord) space = token;
      else if (rows.length === 0) {
        const kept = token.slice(0, Math.max(0, max - 1 - rowWidth));
        row += kept;
        rowWidth += kept.length;
      }
      continue;
    }
    const w = displayWidth(token);
    if (rowWidth + space.length + w <= max) {
      row += space + token;
      rowWidth += space.length + w;
      hasWord = true;
      space = "";
      continue;
    }
    if (w <= max - indentWidth || (!hasWord && rows.length === 0 && w <= max)) {
      if (hasWord) newRow();
      else {
        row = ""; // only leading spaces so far, and the word fits without them: drop them
        rowWidth = 0;
      }
      row += token;
      rowWidth += w;
      hasWord = true;
      continue;
    }
    // Wider than any row: hard-break it, starting on the current row when there is room.
    if (hasWord && rowWidth + space.length < max) {
      row += space;
      rowWidth += space.length;
    } else if (hasWord) {
      newRow();
    }
    space = "";
    for (const { segment } of SEGMENTER.segment(token)) {
      const gw = graphemeWidth(segment);
      if (rowWidth + gw > max && hasWord) newRow();
      if (!hasWord && rowWidth + gw > max) {
        // No room after the indent (or the first row's leading spaces) for this grapheme:
        // drop them on this row.
        row = "";
        rowWidth = 0;
      }
      row += segment;
      rowWidth += gw;
      hasWord = true;
    }
  }
  rows.push(row);
  return rows;
}

/**
 * Replaces each tab in `text` with the spaces that reach the next stop (every `tabWidth`
 * display columns, counted from the start of `text`), as a terminal would move the cursor.
 *
 * @example
 * ```ts
 * import { expandTabs } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(expandTabs("a\tb", 8), "a       b");
 * assert.equal(expandTabs("abcdefgh\tc", 8), "abcdefgh        c");
 * assert.equal(expandTabs("日\tx", 4), "日  x");
 * ```
 *
 * @param text One line of text.
 * @param tabWidth Columns between tab stops (a positive whole number).
 * @throws {RangeError} when `tabWidth` is not a positive whole number.
 */
export function expandTabs(text: string, tabWidth: number): string {
  if (!Number.isInteger(tabWidth) || tabWidth < 1) {
    throw new RangeError(`Tab width must be a positive whole number, got ${tabWidth}`);
  }
  if (!text.includes("\t")) return text;
  let out = "";
  let column = 0;
  for (const part of text.split(/(\t)/)) {
    if (part === "\t") {
      const spaces = tabWidth - (column % tabWidth);
      out += " ".repeat(spaces);
      column += spaces;
    } else if (part !== "") {
      out += part;
      column += displayWidth(part);
    }
  }
  return out;
}

/** Cuts `text` to `width` columns, ending with an ellipsis when something was cut. */
function truncate(text: string, width: number): string {
  if (width === Infinity || displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const { segment } of SEGMENTER.segment(text)) {
    const w = graphemeWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + "…";
}

/** `text` safe for a terminal: controls (ESC could drive it) shown as U+FFFD, tabs kept or spaced. */
function clean(text: string, tabs: boolean): string {
  const cleaned = stripControls(text, { tab: true });
  return tabs ? cleaned.replaceAll("\t", "    ") : cleaned;
}

/** A row before it has its place in the document: the text as printed and without styles. */
interface Row {
  plain: string;
  text: string;
}

/** Adds the style `name` around non-empty text, when colour is on. */
type Paint = (name: RenderStyleName, text: string) => string;

/** What every line renderer needs: the width and how to paint. */
interface LineContext {
  width: number;
  paint: Paint;
  options: RenderOptions;
}

/** Rows whose text has no style. */
function unstyled(rows: string[]): Row[] {
  return rows.map((r) => ({ plain: r, text: r }));
}

/** A heading: its `#` markers, wrapped under its first word, in the heading's style. */
function headingRows(line: GemtextHeadingLine, { width, paint }: LineContext): Row[] {
  const prefix = "#".repeat(line.level) + " ";
  const name = `heading${line.level}` as const;
  const body = clean(line.text, true);
  return wrapText(prefix + body, width, { indent: " ".repeat(prefix.length) }).map((r) => ({
    plain: r,
    text: paint(name, r),
  }));
}

/** A list item: a styled bullet and a hanging indent. */
function listRows(line: GemtextListLine, { width, paint }: LineContext): Row[] {
  return wrapText("* " + clean(line.text, true), width, { indent: "  " }).map((r, i) => ({
    plain: r,
    text: i === 0 && r.startsWith("* ") ? paint("list", "*") + r.slice(1) : r,
  }));
}

/** A quote: `> ` on every row. */
function quoteRows(line: GemtextQuoteLine, { width, paint }: LineContext): Row[] {
  return wrapText(clean(line.text, true), Math.max(1, width - 2)).map((r) => ({
    plain: "> " + r,
    text: paint("quote", "> " + r),
  }));
}

/** An opening toggle's alt text as one quiet caption row, cut to the width; else nothing. */
function captionRows(line: GemtextPreformatToggleLine, { width, paint }: LineContext): Row[] {
  if (line.alt === undefined) return [];
  const caption = truncate(clean(line.alt, true), width);
  return [{ plain: caption, text: paint("altText", caption) }];
}

/** A preformatted line: never wrapped; tabs kept or expanded to tab stops. */
function preformattedRow(line: GemtextPreformattedLine, { paint, options }: LineContext): Row {
  const cleaned = clean(line.text, false);
  const text = options.tabWidth === undefined ? cleaned : expandTabs(cleaned, options.tabWidth);
  return { plain: text, text: paint("preformatted", text) };
}

/**
 * A link numbered `number`: `[n] label`, a `(scheme)` marker for a scheme that is not quiet,
 * wrapped under the label; and the link, resolved against the base URL.
 */
function linkRows(
  line: GemtextLinkLine,
  number: number,
  { width, paint, options }: LineContext,
): { rows: Row[]; url: string; label: string } {
  const resolved = options.baseUrl === undefined
    ? _absoluteUrl(line.url)
    : resolveLink(options.baseUrl, line.url);
  const label = line.label ?? line.url;
  const scheme = resolved?.protocol.slice(0, -1);
  const quiet = options.quietSchemes ?? ["gemini"];
  const marker = scheme !== undefined && !quiet.includes(scheme) ? ` (${scheme})` : "";
  const tag = `[${number}]`;
  const wrapped = wrapText(`${tag} ${clean(label, true)}${clean(marker, true)}`, width, {
    indent: " ".repeat(tag.length + 1),
  });
  const rows = wrapped.map((r, i): Row => {
    if (i === 0 && r.startsWith(tag)) {
      const rest = r.slice(tag.length);
      return {
        plain: r,
        text: paint("linkNumber", tag) + (rest.startsWith(" ") ? " " : "") +
          paint("link", rest.replace(/^ /, "")),
      };
    }
    const body = r.trimStart();
    return { plain: r, text: r.slice(0, r.length - body.length) + paint("link", body) };
  });
  return { rows, url: resolved?.href ?? line.url, label: clean(label, true) };
}

/** The rows of a line that is not a link. */
function lineRows(line: Exclude<GemtextLine, GemtextLinkLine>, context: LineContext): Row[] {
  switch (line.type) {
    case "text":
      return unstyled(wrapText(clean(line.text, true), context.width));
    case "heading":
      return headingRows(line, context);
    case "list":
      return listRows(line, context);
    case "quote":
      return quoteRows(line, context);
    case "preformat-toggle":
      return captionRows(line, context);
    case "preformatted":
      return [preformattedRow(line, context)];
  }
}

/**
 * Lays a gemtext document out for a terminal `width` columns wide.
 *
 * - Text, list, quote, heading and link lines wrap by display width (CJK and emoji count two
 *   columns, combining marks none); short lines are never joined and every blank line stays.
 * - Headings keep their `#` markers, list items get a hanging indent, quotes repeat `> ` on
 *   every row.
 * - Links are numbered `[n] label` (the URL when there is no label) from `linkNumberStart`;
 *   a link whose resolved scheme is not `gemini` (or another of `quietSchemes`) shows it:
 *   `[3] label (https)`.
 * - Preformatted lines are never wrapped: rows longer than the width stay long. Toggle lines
 *   show nothing, except the alt text of an opening toggle as one quiet caption row (dim
 *   with colour, plain otherwise, cut to the width).
 * - ANSI styles appear only when `color` is true; then `text` is `plain` with styles added.
 * - Control characters in the document (an ESC could drive the terminal) are shown as U+FFFD;
 *   tabs in wrapped lines become four spaces; tabs in preformatted lines are kept, or expanded
 *   to tab stops with `tabWidth`. Preformatted rows carry `preformatted: true`.
 *
 * @example
 * ```ts
 * import { renderGemtext } from "./render.ts";
 * import { parseGemtext } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * const doc = parseGemtext("# Hi\n=> /a About us\n=> https://example.com/\n");
 * const { rows, links } = renderGemtext(doc, {
 *   width: 40,
 *   color: false,
 *   baseUrl: "gemini://example.org/",
 * });
 * assert.deepEqual(rows.map((r) => r.text), [
 *   "# Hi",
 *   "[1] About us",
 *   "[2] https://example.com/ (https)",
 * ]);
 * assert.equal(links[0].url, "gemini://example.org/a");
 * assert.equal(links[1].row, 2);
 * ```
 *
 * @param lines The document, parsed (or as text, which is parsed first).
 * @param options See {@linkcode RenderOptions}.
 * @throws {RangeError} when `width` is not a positive number.
 */
export function renderGemtext(
  lines: readonly GemtextLine[] | string,
  options: RenderOptions,
): RenderResult {
  const doc = typeof lines === "string" ? parseGemtext(lines) : lines;
  const styles: RenderStyles = { ...RENDER_STYLES, ...options.styles };
  const context: LineContext = {
    width: checkWidth(options.width),
    paint: (name, text) =>
      options.color && text !== "" ? styles[name].open + text + styles[name].close : text,
    options,
  };
  const rows: RenderedRow[] = [];
  const links: RenderedLink[] = [];
  let next = options.linkNumberStart ?? 1;
  doc.forEach((line, source) => {
    if (line.type === "link") {
      const number = next++;
      const link = linkRows(line, number, context);
      links.push({ number, url: link.url, label: link.label, row: rows.length, source });
      for (const { text, plain } of link.rows) rows.push({ text, plain, source, link: number });
      return;
    }
    for (const { text, plain } of lineRows(line, context)) {
      const row: RenderedRow = { text, plain, source };
      if (line.type === "preformatted") row.preformatted = true;
      rows.push(row);
    }
  });
  return { rows, links };
}

/**
 * Renders a document to one string: the rows of {@linkcode renderGemtext} (styled when
 * `color` is on), each ended by a line feed.
 *
 * @example
 * ```ts
 * import { renderGemtextToString } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const out = renderGemtextToString("> a quote that wraps\n* item", { width: 12, color: false });
 * assert.equal(out, "> a quote\n> that wraps\n* item\n");
 * ```
 *
 * @param lines The document, parsed or as text.
 * @param options See {@linkcode RenderOptions}.
 * @throws {RangeError} when `width` is not a positive number.
 */
export function renderGemtextToString(
  lines: readonly GemtextLine[] | string,
  options: RenderOptions,
): string {
  let out = "";
  for (const row of renderGemtext(lines, options).rows) out += row.text + "\n";
  return out;
}
