/**
 * Internal line classification shared by the whole-text and the streaming parser, so both
 * give identical results by construction. Not part of the public API.
 *
 * @module
 */

import type { GemtextLine } from "./types.ts";

/**
 * A work counter for the linear-time tests: `steps` grows by the number of characters the
 * parser's loops examine or copy. Only tests pass one.
 */
export interface _Work {
  /** Characters examined or copied so far. */
  steps: number;
}

const TAB = 0x09;
const SPACE = 0x20;
const CR = 0x0d;
const BOM = "\uFEFF";

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** Index of the first character at or after `from` that is neither SP nor TAB. */
function skipBlanks(line: string, from: number, work?: _Work): number {
  let i = from;
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  if (work) work.steps += i - from + 1;
  return i;
}

/** `line` without its trailing carriage returns (CRLF files; CR is never content at the end). */
export function _stripTrailingCr(line: string, work?: _Work): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === CR) end--;
  if (work) work.steps += line.length - end + 1;
  return end === line.length ? line : line.slice(0, end);
}

/** Removes any run of byte order marks at the very start of a document. */
export function _stripLeadingBom(text: string): string {
  let i = 0;
  while (text.startsWith(BOM, i)) i++;
  return i === 0 ? text : text.slice(i);
}

/** Parser state carried from line to line: only "inside a preformatted block or not". */
export interface _State {
  /** True between an opening and a closing toggle. */
  preformatted: boolean;
}

function parseLink(line: string, work?: _Work): GemtextLine {
  // Trailing SP, TAB and CR are never part of a link (so a URL or label cannot end in a CR
  // that a writer would put at the end of a line, where readers drop it).
  let end = line.length;
  while (end > 2 && (isBlank(line.charCodeAt(end - 1)) || line.charCodeAt(end - 1) === CR)) end--;
  if (work) work.steps += line.length - end + 1;
  const body = line.slice(0, end);
  const urlStart = skipBlanks(body, 2, work);
  let urlEnd = urlStart;
  while (urlEnd < body.length && !isBlank(body.charCodeAt(urlEnd))) urlEnd++;
  if (work) work.steps += urlEnd - urlStart + 1;
  if (urlEnd === urlStart) return { type: "text", text: line };
  const url = body.slice(urlStart, urlEnd);
  const label = body.slice(skipBlanks(body, urlEnd, work));
  return label === "" ? { type: "link", url } : { type: "link", url, label };
}

/**
 * Classifies one line (line ending already removed) and updates the preformatted state.
 * Never throws.
 */
export function _classifyLine(line: string, state: _State, work?: _Work): GemtextLine {
  if (work) work.steps += line.length + 1; // the slice copies below are at most one line long
  if (line.startsWith("```")) {
    if (state.preformatted) {
      state.preformatted = false;
      return { type: "preformat-toggle" };
    }
    state.preformatted = true;
    const alt = line.slice(3).trim();
    return alt === "" ? { type: "preformat-toggle" } : { type: "preformat-toggle", alt };
  }
  if (state.preformatted) return { type: "preformatted", text: line };
  if (line.startsWith("=>")) return parseLink(line, work);
  if (line.startsWith("#")) {
    const level = line.startsWith("###") ? 3 : line.startsWith("##") ? 2 : 1;
    return { type: "heading", level, text: line.slice(skipBlanks(line, level, work)) };
  }
  if (line.startsWith("* ")) return { type: "list", text: line.slice(skipBlanks(line, 2, work)) };
  if (line.startsWith(">")) return { type: "quote", text: line.slice(skipBlanks(line, 1, work)) };
  return { type: "text", text: line };
}

/** Parses a whole document: the body of `parseGemtext`, with an optional work counter. */
export function _parseText(input: string, work?: _Work): GemtextLine[] {
  const text = _stripLeadingBom(input);
  const lines: GemtextLine[] = [];
  const state: _State = { preformatted: false };
  let pos = 0;
  while (pos < text.length) {
    let newline = text.indexOf("\n", pos);
    if (newline === -1) newline = text.length;
    if (work) work.steps += newline - pos + 1;
    const raw = text.slice(pos, newline);
    lines.push(_classifyLine(_stripTrailingCr(raw, work), state, work));
    pos = newline + 1;
  }
  return lines;
}

/**
 * Work counters attached to streaming parsers by the linear-time tests (keyed by parser).
 * Empty in normal use.
 */
export const _streamWork: WeakMap<object, _Work> = new WeakMap();
