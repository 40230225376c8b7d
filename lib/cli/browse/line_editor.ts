/**
 * The line editor of `gemini browse`'s prompts, with no I/O: a text and a cursor, and the
 * edits of a shell's line editor (move by character and word, Home/End, Delete, Ctrl-W/K/U)
 * plus a history browsed with Up and Down. The cursor moves by grapheme clusters, so an
 * accented letter or an emoji is one step.
 *
 * @module
 */

/** A text being edited. */
export interface EditLine {
  /** The text. */
  value: string;
  /** The cursor: a UTF-16 offset into `value`, always at a grapheme boundary. */
  cursor: number;
}

/** What an edit key does. */
export type EditCommand =
  | "left"
  | "right"
  | "word-left"
  | "word-right"
  | "start"
  | "end"
  | "backspace"
  | "delete"
  | "delete-word"
  | "kill-end"
  | "kill-start"
  | "history-previous"
  | "history-next";

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The grapheme boundaries of `text`: 0, ..., `text.length`. */
function boundaries(text: string): number[] {
  const out: number[] = [];
  for (const { index } of SEGMENTER.segment(text)) out.push(index);
  out.push(text.length);
  return out;
}

function previousBoundary(text: string, at: number): number {
  let prev = 0;
  for (const b of boundaries(text)) {
    if (b >= at) break;
    prev = b;
  }
  return prev;
}

function nextBoundary(text: string, at: number): number {
  for (const b of boundaries(text)) if (b > at) return b;
  return text.length;
}

/** Start of the word before `at` (skipping spaces first), as Ctrl-W and Alt-B see words. */
function wordStart(text: string, at: number): number {
  let i = at;
  while (i > 0 && /\s/.test(text[i - 1])) i--;
  while (i > 0 && !/\s/.test(text[i - 1])) i--;
  return i;
}

function wordEnd(text: string, at: number): number {
  let i = at;
  while (i < text.length && /\s/.test(text[i])) i++;
  while (i < text.length && !/\s/.test(text[i])) i++;
  return i;
}

/**
 * A line holding `value` with the cursor at its end.
 *
 * @example
 * ```ts
 * import { editLine } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(editLine("abc"), { value: "abc", cursor: 3 });
 * ```
 */
export function editLine(value = ""): EditLine {
  return { value, cursor: value.length };
}

/**
 * Inserts `text` at the cursor and moves the cursor after it.
 *
 * @example
 * ```ts
 * import { insertText } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(insertText({ value: "ac", cursor: 1 }, "b"), { value: "abc", cursor: 2 });
 * ```
 */
export function insertText(line: EditLine, text: string): EditLine {
  return {
    value: line.value.slice(0, line.cursor) + text + line.value.slice(line.cursor),
    cursor: line.cursor + text.length,
  };
}

/**
 * Applies one edit command (history commands leave the line as it is: see
 * {@linkcode browseHistory}).
 *
 * @example
 * ```ts
 * import { applyEdit } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 * const line = { value: "gemini://a.example/dir/page", cursor: 27 };
 * assert.equal(applyEdit(line, "delete-word").value, "");
 * assert.deepEqual(applyEdit({ value: "one two", cursor: 7 }, "delete-word"), { value: "one ", cursor: 4 });
 * assert.deepEqual(applyEdit({ value: "one two", cursor: 3 }, "kill-end"), { value: "one", cursor: 3 });
 * assert.deepEqual(applyEdit({ value: "one two", cursor: 4 }, "kill-start"), { value: "two", cursor: 0 });
 * ```
 */
export function applyEdit(line: EditLine, command: EditCommand): EditLine {
  const { value, cursor } = line;
  switch (command) {
    case "left":
      return { value, cursor: previousBoundary(value, cursor) };
    case "right":
      return { value, cursor: nextBoundary(value, cursor) };
    case "word-left":
      return { value, cursor: wordStart(value, cursor) };
    case "word-right":
      return { value, cursor: wordEnd(value, cursor) };
    case "start":
      return { value, cursor: 0 };
    case "end":
      return { value, cursor: value.length };
    case "backspace": {
      const at = previousBoundary(value, cursor);
      return { value: value.slice(0, at) + value.slice(cursor), cursor: at };
    }
    case "delete":
      return { value: value.slice(0, cursor) + value.slice(nextBoundary(value, cursor)), cursor };
    case "delete-word": {
      const at = wordStart(value, cursor);
      return { value: value.slice(0, at) + value.slice(cursor), cursor: at };
    }
    case "kill-end":
      return { value: value.slice(0, cursor), cursor };
    case "kill-start":
      return { value: value.slice(cursor), cursor: 0 };
    default:
      return line;
  }
}

/** Where a prompt is in its history: the entry shown (`-1`: the draft) and the draft. */
export interface HistoryPosition {
  /** Index into the history, newest first; `-1` while editing the draft. */
  index: number;
  /** What was typed before Up was first pressed. */
  draft: string;
}

/**
 * Moves through `history` (newest first): Up (`step` 1) shows older entries, Down (`-1`)
 * newer ones and finally the draft again. Returns the new line and position, or `undefined`
 * when there is nothing further that way.
 *
 * @example
 * ```ts
 * import { browseHistory } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 * const history = ["new", "old"];
 * const up = browseHistory(history, { value: "dra", cursor: 3 }, undefined, 1)!;
 * assert.equal(up.line.value, "new");
 * const down = browseHistory(history, up.line, up.position, -1)!;
 * assert.equal(down.line.value, "dra");
 * assert.equal(browseHistory(history, down.line, down.position, -1), undefined);
 * ```
 */
export function browseHistory(
  history: readonly string[],
  line: EditLine,
  position: HistoryPosition | undefined,
  step: 1 | -1,
): { line: EditLine; position: HistoryPosition } | undefined {
  const current = position ?? { index: -1, draft: line.value };
  const index = current.index + step;
  if (index < -1 || index >= history.length) return undefined;
  const value = index === -1 ? current.draft : history[index];
  return { line: editLine(value), position: { index, draft: current.draft } };
}

/**
 * Adds `value` to the front of `history` (removing an older copy), keeping at most `max`.
 *
 * @example
 * ```ts
 * import { remember } from "./line_editor.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(remember(["b", "a"], "a", 10), ["a", "b"]);
 * assert.deepEqual(remember(["a"], "  ", 10), ["a"]);
 * ```
 */
export function remember(history: readonly string[], value: string, max: number): string[] {
  if (value.trim() === "") return [...history];
  return [value, ...history.filter((h) => h !== value)].slice(0, max);
}
