/**
 * Where the page column of `gemini browse` sits in the window, and how far its wide
 * preformatted rows can scroll sideways. Pure.
 *
 * @module
 */

import type { BrowserState } from "./state.ts";

/** Columns of the page text: the window width capped at the readable maximum. */
export function pageWidth(state: BrowserState): number {
  return Math.max(1, Math.min(state.width, state.maxWidth));
}

/** The margin left of a page column centred in a window wider than the readable maximum. */
export function pageMargin(state: BrowserState): number {
  return Math.max(0, Math.floor((state.width - pageWidth(state)) / 2));
}

/** Columns preformatted rows can use: from the page column's left edge to the window's right. */
export function preformattedWidth(state: BrowserState): number {
  return Math.max(1, state.width - pageMargin(state));
}

/** How far wide preformatted rows can scroll sideways (0: nothing is wider than the screen). */
export function maxHscroll(state: BrowserState): number {
  return Math.max(0, state.layout.wide - preformattedWidth(state));
}
