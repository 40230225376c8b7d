/**
 * What `gemini browse` draws for a state, with no I/O: the page rows (preformatted rows
 * scrolled sideways), the status line and the area below it (`./panel.ts`).
 *
 * @module
 */

import { displayWidth } from "../../gemtext/render.ts";
import { fitWidth, sliceColumns } from "./columns.ts";
import { shownUrl } from "./layout.ts";
import { maxHscroll, pageMargin, preformattedWidth } from "./geometry.ts";
import { bottomPanel, contentHeight } from "./panel.ts";
import type { BrowserState, ScreenLine } from "./state.ts";

export { maxHscroll, pageMargin, pageWidth, preformattedWidth } from "./geometry.ts";

function trustLabel(trust: string | undefined): string {
  switch (trust) {
    case undefined:
      return "";
    case "first-use":
      return "trusted (first use)";
    case "match":
      return "trusted";
    case "expired-replaced":
      return "trusted (renewed)";
    case "changed-accepted":
      return "trusted (new key saved)";
    case "changed-once":
      return "trusted (this session only)";
    case "changed-warned":
      return "UNTRUSTED (key changed)";
    case "unchecked":
      return "unchecked";
    default:
      return trust;
  }
}

/** A part of the status line after the URL; a lower rank gives way first when space is short. */
interface StatusPart {
  text: string;
  rank: number;
}

/** The status line in parts: the tab, the URL (or what is loading) and the rest. */
function statusParts(state: BrowserState): { tab: string; url: string; rest: StatusPart[] } {
  const page = state.page;
  const rest: StatusPart[] = [];
  const add = (text: string, rank: number): void => {
    rest.push({ text, rank });
  };
  const tab = state.tabs.length > 1 ? `[${state.tab + 1}/${state.tabs.length}] ` : "";
  let url: string;
  if (state.loading) {
    url = `→ ${state.loading.url}`;
    if (state.progress) add(state.progress, 5);
  } else if (page) url = shownUrl(page);
  else url = "gemini browse";
  if (page && !state.loading) {
    if (page.error) add(page.title ?? "error", 3);
    else if (page.status !== undefined) add(`${page.status} ${page.mediaType}`, 3);
    const trust = trustLabel(page.trust);
    if (trust) add(trust, 5);
    if (page.identity) add(`id: ${page.identity}`, 4);
    const total = state.layout.rows.length;
    const h = contentHeight(state);
    if (total > h) add(`${Math.round(100 * (state.scroll + h) / total)}%`, 1);
    if (maxHscroll(state) > 0) {
      const w = preformattedWidth(state);
      add(
        `cols ${state.hscroll + 1}-${Math.min(state.layout.wide, state.hscroll + w)}/` +
          `${state.layout.wide} < >`,
        2,
      );
    }
  }
  return { tab, url, rest };
}

/** The status line text: tab, URL, status, trust verdict, identity, position. */
export function statusText(state: BrowserState): string {
  const { tab, url, rest } = statusParts(state);
  return tab + [url, ...rest.map((p) => p.text)].join(" │ ");
}

/**
 * The status line cut to `width` columns: a long URL loses its middle (`…`) so that the
 * status, trust verdict and identity stay visible; in a narrow window the last parts
 * (position, identity...) give way first.
 */
export function fitStatus(state: BrowserState, width: number): string {
  const full = statusText(state);
  if (displayWidth(full) <= width) return full;
  const { tab, url, rest } = statusParts(state);
  const least = Math.min(24, Math.floor(width * 0.6));
  const parts = [...rest];
  let tail = "";
  let room = 0;
  for (;;) {
    tail = parts.length > 0 ? " │ " + parts.map((p) => p.text).join(" │ ") : "";
    room = width - displayWidth(tab + tail);
    if (room >= least || parts.length === 0) break;
    // The least important part gives way first; the trust verdict last of all.
    const drop = parts.reduce((low, p, i) => p.rank < parts[low].rank ? i : low, 0);
    parts.splice(drop, 1);
  }
  if (displayWidth(url) <= room) return tab + url + tail;
  if (room < least) return fitWidth(full, width);
  const chars = [...url];
  const head = Math.ceil((room - 1) * 0.6);
  let left = fitWidth(url, head);
  let right = "";
  for (let i = chars.length - 1; i >= 0; i--) {
    const next = chars[i] + right;
    if (displayWidth(left) + 1 + displayWidth(next) > room) break;
    right = next;
  }
  if (displayWidth(left) + 1 + displayWidth(right) > room) left = fitWidth(left, room - 1);
  return fitWidth(`${tab}${left}…${right}${tail}`, width);
}

function marksOf(plain: string, term: string): [number, number][] {
  const marks: [number, number][] = [];
  const lower = plain.toLowerCase();
  const needle = term.toLowerCase();
  if (needle === "") return marks;
  let at = lower.indexOf(needle);
  while (at >= 0) {
    marks.push([at, at + needle.length]);
    at = lower.indexOf(needle, at + needle.length);
  }
  return marks;
}

function pageRows(state: BrowserState): ScreenLine[] {
  const lines: ScreenLine[] = [];
  const h = contentHeight(state);
  const selectedLink = state.selected !== undefined
    ? state.layout.links[state.selected]?.number
    : undefined;
  const margin = pageMargin(state);
  const room = state.width - margin;
  for (let i = 0; i < h; i++) {
    const row = state.layout.rows[state.scroll + i];
    if (!row) {
      lines.push({ plain: "", text: "", style: "page" });
      continue;
    }
    const shifted = row.preformatted && state.hscroll > 0;
    const plain = shifted
      ? sliceColumns(row.plain, state.hscroll, room)
      : fitWidth(row.plain, room);
    const line: ScreenLine = {
      plain,
      text: plain === row.plain ? row.text : plain,
      style: selectedLink !== undefined && row.link === selectedLink ? "selected" : "page",
    };
    if (margin > 0) line.indent = margin;
    if (state.search && state.search.matches.includes(state.scroll + i)) {
      line.marks = marksOf(plain, state.search.term);
      if (state.search.matches[state.search.index] === state.scroll + i) line.current = true;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * The screen: `height` lines of at most `width` columns. Page rows first, then the status
 * line, then the prompt or message area, which takes as many rows as it needs. The text of a
 * `secret` prompt is never part of the output.
 *
 * @example
 * ```ts
 * import { initialState, update, view } from "./model.ts";
 * import assert from "node:assert/strict";
 * let s = initialState({ width: 30, height: 4 });
 * s = update(s, { type: "ask", prompt: { kind: "secret", id: 1, label: "Password", value: "" } }).state;
 * s = update(s, "x").state;
 * assert.equal(view(s)[3].plain, "Password: *");
 * ```
 */
export function view(state: BrowserState): ScreenLine[] {
  const status = fitStatus(state, state.width);
  return [
    ...pageRows(state),
    { plain: status, text: status, style: "status" },
    ...bottomPanel(state).lines,
  ];
}

/** Where the terminal cursor goes: in the answer being edited, or `undefined` (hidden). */
export function cursorPosition(state: BrowserState): { row: number; col: number } | undefined {
  const panel = bottomPanel(state);
  if (!panel.cursor) return undefined;
  return {
    row: state.height - panel.lines.length + panel.cursor.row,
    col: Math.min(state.width - 1, panel.cursor.col),
  };
}
