/**
 * The area below the status line of `gemini browse`: the open prompt (its details, the whole
 * question, every choice key, the answer being edited) or the message. It grows to as many
 * rows as it needs, up to the window height less the status line and one page row; a prompt
 * taller than that scrolls with PgUp/PgDn (its choices or answer stay in view), and a message
 * taller than a third of the window ends with a pointer to `M`, which shows it whole. Pure.
 *
 * @module
 */

import { displayWidth, wrapText } from "../../gemtext/render.ts";
import { fitWidth, graphemes, printable } from "./columns.ts";
import { maxHscroll } from "./geometry.ts";
import type { BrowserState, Prompt, ScreenLine } from "./state.ts";

/** The rows of the area and where the cursor goes (`row` counts from the area's top). */
export interface Panel {
  /** The rows, top to bottom. */
  lines: ScreenLine[];
  /** The cursor of an answer being edited. */
  cursor?: { row: number; col: number };
}

/** Key hints on the message row when nothing else is going on. */
export const PAGE_HINT = "? help · o open · b back · q quit";
const SEARCH_HINT = "n/N next/previous · Esc ends the search";
const WIDE_HINT = "< > scroll sideways · ? help · q quit";
const MORE = " … M: read all";

/** Most rows the area may take: the window less the status line and one page row. */
export function panelLimit(state: BrowserState): number {
  return Math.max(1, state.height - 2);
}

/** Rows available for the page (the window minus the status line and the area below it). */
export function contentHeight(state: BrowserState): number {
  return Math.max(1, state.height - 1 - bottomPanel(state).lines.length);
}

/** The area below the status line. */
export function bottomPanel(state: BrowserState): Panel {
  return state.prompt ? promptPanel(state, state.prompt) : messagePanel(state);
}

/** The question as shown: the server's words, with a colon only when it has no punctuation. */
function question(prompt: Prompt): string {
  const label = printable(prompt.label.trim());
  if (prompt.kind === "choice") return label;
  return /[?:!.]$/.test(label) ? label : `${label}:`;
}

function hintOf(prompt: Prompt): string {
  const note = prompt.note ? `${prompt.note} · ` : "";
  switch (prompt.kind) {
    case "url":
      return `${note}Tab completes · Enter opens · Esc cancels`;
    case "search":
      return `${note}Enter finds · Esc cancels`;
    case "secret":
      return `${note}hidden · Enter sends · Esc cancels`;
    case "choice":
      return `${note}Esc cancels`;
    default:
      return `${note}Enter sends · Esc cancels`;
  }
}

function line(plain: string, style: ScreenLine["style"], hint?: string): ScreenLine {
  const l: ScreenLine = { plain, text: plain, style };
  if (hint) l.hint = hint;
  return l;
}

/** A hint fits at the right of `plain` with three columns between them. */
function withHint(plain: string, width: number, hints: string[]): string | undefined {
  return hints.find((h) => h !== "" && displayWidth(plain) + 3 + displayWidth(h) <= width);
}

/**
 * The question and the choices, wrapped at spaces; a choice (`[k] label`) is never split
 * unless it is wider than a row. `pinned` is the first row holding a choice.
 */
function choiceRows(
  prompt: Prompt,
  width: number,
): { rows: string[]; pinned: number; cursor?: { row: number; col: number } } {
  const rows = wrapText(question(prompt), width);
  let pinned = -1;
  for (const choice of prompt.choices ?? []) {
    const token = printable(`[${choice.key}] ${choice.label}`);
    const last = rows[rows.length - 1];
    const sep = last === "" ? "" : pinned < 0 ? " " : "  ";
    if (displayWidth(last + sep + token) <= width) {
      rows[rows.length - 1] = last + sep + token;
      if (pinned < 0) pinned = rows.length - 1;
      continue;
    }
    if (pinned < 0) pinned = rows.length;
    rows.push(...wrapText(token, width, { indent: "    " }));
  }
  return { rows, pinned: pinned < 0 ? rows.length - 1 : pinned };
}

/**
 * The visible part of an answer `fieldWidth` columns wide, keeping the cursor in view: `…`
 * marks text cut on either side. `col` is the cursor's column in the field.
 *
 * @example
 * ```ts
 * import { answerField } from "./panel.ts";
 * import assert from "node:assert/strict";
 * const chars = [..."abcdefghij"];
 * assert.deepEqual(answerField(chars, 10, 20), { text: "abcdefghij", col: 10 });
 * assert.deepEqual(answerField(chars, 10, 6), { text: "…hij", col: 4 });
 * assert.deepEqual(answerField(chars, 0, 6), { text: "abcde…", col: 0 });
 * ```
 */
export function answerField(
  shown: string[],
  cursor: number,
  fieldWidth: number,
): { text: string; col: number } {
  const widths = shown.map((g) => displayWidth(g));
  const sum = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) n += widths[i];
    return n;
  };
  if (sum(0, shown.length) <= fieldWidth - 1) {
    return { text: shown.join(""), col: sum(0, cursor) };
  }
  if (fieldWidth < 4) return { text: "", col: 0 };
  // Room for the text before the cursor: the field less the cursor's cell and a marker.
  const room = fieldWidth - 2;
  let start = 0;
  let before = sum(0, cursor);
  if (before > room) {
    // Scrolled: "…" then as much before the cursor as fits.
    start = cursor;
    before = 0;
    while (start > 0 && 1 + before + widths[start - 1] <= room) before += widths[--start];
  }
  let text = (start > 0 ? "…" : "") + shown.slice(start, cursor).join("");
  const col = (start > 0 ? 1 : 0) + before;
  let used = col;
  let end = cursor;
  for (; end < shown.length; end++) {
    const more = end + 1 < shown.length ? 1 : 0;
    if (used + widths[end] + more > fieldWidth) break;
    text += shown[end];
    used += widths[end];
  }
  if (end < shown.length) text += "…";
  return { text, col };
}

/** The question rows and the answer row (with the cursor) of a text prompt. */
function textRows(
  prompt: Prompt,
  width: number,
): { rows: string[]; pinned: number; cursor: { row: number; col: number } } {
  const labelRows = wrapText(question(prompt), width);
  const last = labelRows[labelRows.length - 1];
  const minField = Math.min(width, Math.max(12, Math.min(40, Math.floor(width / 3))));
  const shared = displayWidth(last) + 1 + minField <= width;
  const prefix = shared ? `${last} ` : "";
  const rows = shared ? labelRows.slice(0, -1) : labelRows;
  const value = printable(prompt.value);
  const parts = graphemes(value);
  const cursorAt = graphemes(value.slice(0, prompt.cursor ?? value.length)).length;
  const shown = prompt.kind === "secret" ? parts.map(() => "*") : parts;
  const field = answerField(shown, cursorAt, width - displayWidth(prefix));
  rows.push(prefix + field.text);
  const row = rows.length - 1;
  return {
    rows,
    pinned: row,
    cursor: { row, col: Math.min(width - 1, displayWidth(prefix) + field.col) },
  };
}

function detailRows(prompt: Prompt, width: number): string[] {
  // Long lines (fingerprints) wrap, continuing under their own indentation.
  return (prompt.details ?? []).flatMap((d) => {
    const text = printable(d);
    const lead = /^\s*/.exec(text)![0];
    const indent = lead.length + 2 < width ? (lead || "  ") : "";
    return wrapText(text, width, { indent }).map((r) => fitWidth(r, width));
  });
}

/**
 * The first scrolled row of the open prompt after PgUp (`-1`) or PgDn (`1`): a window's
 * worth less one row, within the rows that scroll.
 */
export function promptScroll(state: BrowserState, direction: -1 | 1): number {
  const prompt = state.prompt;
  if (!prompt) return 0;
  const { scrollable, room } = promptRows(state, prompt);
  const max = Math.max(0, scrollable.length - room);
  const top = Math.max(0, Math.min(prompt.scroll ?? 0, max));
  return Math.max(0, Math.min(max, top + direction * Math.max(1, room - 1)));
}

interface PromptRows {
  scrollable: ScreenLine[];
  pinned: ScreenLine[];
  room: number;
  cursor?: { row: number; col: number };
}

/** The rows of a prompt: those that scroll (details, question) and those pinned below. */
function promptRows(state: BrowserState, prompt: Prompt): PromptRows {
  const width = state.width;
  const details = detailRows(prompt, width).map((r) => line(r, "box"));
  const asked = prompt.kind === "choice" ? choiceRows(prompt, width) : textRows(prompt, width);
  const rows = asked.rows.map((r) => line(fitWidth(r, width), "prompt"));
  const lastRow = rows[rows.length - 1];
  const fits = withHint(lastRow.plain, width, [hintOf(prompt), prompt.note ?? ""]);
  if (fits) lastRow.hint = fits;
  const scrollable = [...details, ...rows.slice(0, asked.pinned)];
  const pinned = rows.slice(asked.pinned);
  const cursor = asked.cursor
    ? { row: asked.cursor.row - asked.pinned, col: asked.cursor.col }
    : undefined;
  const fitsAll = scrollable.length + pinned.length <= panelLimit(state);
  return {
    scrollable,
    pinned,
    room: fitsAll ? scrollable.length : panelLimit(state) - pinned.length - 1,
    cursor,
  };
}

function promptPanel(state: BrowserState, prompt: Prompt): Panel {
  const { scrollable, pinned, room, cursor } = promptRows(state, prompt);
  const at = (top: number): Panel["cursor"] =>
    cursor ? { row: top + cursor.row, col: cursor.col } : undefined;
  if (room === scrollable.length) {
    return { lines: [...scrollable, ...pinned], cursor: at(scrollable.length) };
  }
  if (room < 1) {
    // Not even one row for the question: the choices or the answer, as many rows as fit.
    const limit = panelLimit(state);
    const shown = pinned.slice(-limit);
    return { lines: shown, cursor: at(shown.length - pinned.length) };
  }
  const top = Math.max(0, Math.min(prompt.scroll ?? 0, scrollable.length - room));
  const window = scrollable.slice(top, top + room);
  const more = `▲▼ PgUp/PgDn: rows ${top + 1}-${top + window.length} of ${scrollable.length}`;
  const lines = [...window, line(fitWidth(more, state.width), "more"), ...pinned];
  return { lines, cursor: at(window.length + 1) };
}

/** The text of the message row: typed digits, progress, or the last message. */
function messageText(state: BrowserState): string {
  if (state.digits || state.pick) {
    const what = state.pick === "tab"
      ? "Open link in a new tab"
      : state.pick === "copy"
      ? "Copy the URL of link"
      : "Follow link";
    return `${what} ${state.digits || "number?"} (Enter; Esc cancels)`;
  }
  const waiting = state.loading !== undefined && state.progress !== undefined &&
    state.message === state.progress;
  return waiting ? `${state.message} (Esc cancels)` : state.message;
}

function messagePanel(state: BrowserState): Panel {
  const width = state.width;
  const cap = Math.max(1, Math.min(panelLimit(state), Math.floor(state.height / 3)));
  let rows = wrapText(printable(messageText(state)), width).map((r) => fitWidth(r, width));
  if (rows.length > cap) {
    rows = rows.slice(0, cap);
    const room = width - displayWidth(MORE);
    rows[cap - 1] = room > 0 ? fitWidth(rows[cap - 1], room) + MORE : fitWidth(MORE.trim(), width);
  }
  const lines = rows.map((r) => line(r, "message"));
  // The main keys, dimmed at the right, while nothing else needs the row's end.
  if (!state.loading && !state.digits && !state.pick) {
    const last = lines[lines.length - 1];
    const hints = state.search
      ? [SEARCH_HINT]
      : maxHscroll(state) > 0
      ? [WIDE_HINT, PAGE_HINT]
      : [PAGE_HINT];
    const hint = withHint(last.plain, width, hints);
    if (hint) last.hint = hint;
  }
  return { lines };
}
