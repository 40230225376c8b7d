/**
 * Where a page of `gemini browse` is read: the scroll offset and its bounds, sideways scrolling
 * of wide preformatted rows, search matches, and the layout again at a new width. Pure.
 *
 * @module
 */

import { contentHeight } from "./panel.ts";
import { layoutPage } from "./layout.ts";
import { maxHscroll, pageWidth, preformattedWidth } from "./geometry.ts";
import type { BrowserState } from "./state.ts";
import { EMPTY_LAYOUT } from "./tabs.ts";

/** The last scroll offset: the page's last row at the bottom of the content area. */
export function maxScroll(state: BrowserState): number {
  return Math.max(0, state.layout.rows.length - contentHeight(state));
}

/** `scroll` within the bounds of the page. */
export function clampScroll(state: BrowserState, scroll: number): number {
  return Math.max(0, Math.min(scroll, maxScroll(state)));
}

/** Lays the page out again (a new width or page), keeping the scroll offsets in bounds. */
export function relayout(state: BrowserState): BrowserState {
  if (!state.page) return { ...state, layout: EMPTY_LAYOUT, scroll: 0, hscroll: 0 };
  const next = { ...state, layout: layoutPage(state.page, pageWidth(state), state.color) };
  next.scroll = clampScroll(next, state.scroll);
  next.hscroll = Math.min(state.hscroll, maxHscroll(next));
  if (state.search) next.search = findMatches(next, state.search.term);
  return next;
}

/** The rows that hold `term` (ignoring case); the current one is the first on screen or below. */
export function findMatches(
  state: BrowserState,
  term: string,
): { term: string; matches: number[]; index: number } {
  const from = state.scroll;
  const needle = term.toLowerCase();
  const matches: number[] = [];
  state.layout.rows.forEach((row, i) => {
    if (needle !== "" && row.plain.toLowerCase().includes(needle)) matches.push(i);
  });
  const index = Math.max(0, matches.findIndex((row) => row >= from));
  return { term, matches, index };
}

/** A scroll offset that shows `row`: the current one when it does, else one with the row a third down. */
export function ensureVisible(state: BrowserState, row: number): number {
  const h = contentHeight(state);
  if (row >= state.scroll && row < state.scroll + h) return state.scroll;
  return clampScroll(state, row - Math.floor(h / 3));
}

/** Scrolls to `scroll` (in bounds), forgetting typed digits. */
export function scrollTo(state: BrowserState, scroll: number): BrowserState {
  return { ...state, scroll: clampScroll(state, scroll), digits: "", pick: undefined };
}

/** Scrolls wide preformatted rows by half a screen left (-1) or right (1). */
export function hscrollBy(state: BrowserState, direction: -1 | 1): BrowserState {
  const max = maxHscroll(state);
  if (max === 0) return { ...state, message: "No preformatted text here is wider than the screen" };
  const step = Math.max(4, Math.floor(preformattedWidth(state) / 2));
  const hscroll = Math.max(0, Math.min(max, state.hscroll + direction * step));
  return { ...state, hscroll };
}

/** The next (1) or previous (-1) search match, scrolled into view. */
export function nextMatch(state: BrowserState, step: 1 | -1): BrowserState {
  const search = state.search;
  if (!search || search.matches.length === 0) {
    return { ...state, message: search ? `Not found: ${search.term}` : "No search; press /" };
  }
  const index = (search.index + step + search.matches.length) % search.matches.length;
  return {
    ...state,
    search: { ...search, index },
    scroll: ensureVisible(state, search.matches[index]),
    message: `Match ${index + 1} of ${search.matches.length}`,
  };
}
