/**
 * Tabs of `gemini browse`: the active tab lives in the state's own fields, the others wait in
 * `state.tabs`; these functions move a tab in and out. Pure.
 *
 * @module
 */

import { type BrowserState, type Layout, type Tab, TAB_FIELDS } from "./state.ts";

/** The layout of a tab with no page. */
export const EMPTY_LAYOUT: Layout = { rows: [], links: [], width: 1, wide: 0 };

/** A tab with nothing in it. */
export function emptyTab(): Tab {
  return { layout: EMPTY_LAYOUT, scroll: 0, hscroll: 0, back: [], forward: [] };
}

/** The active tab's fields of `state`, as a tab. */
export function snapshot(state: BrowserState): Tab {
  const tab: Record<string, unknown> = {};
  for (const field of TAB_FIELDS) {
    if (state[field] !== undefined) tab[field] = state[field];
  }
  return tab as unknown as Tab;
}

/** `state` with `tab`'s fields as the active tab's (fields the tab lacks are cleared). */
export function restore(state: BrowserState, tab: Tab): BrowserState {
  const next: Record<string, unknown> = { ...state };
  for (const field of TAB_FIELDS) {
    if (tab[field] === undefined) delete next[field];
    else next[field] = tab[field];
  }
  return next as unknown as BrowserState;
}

/** A title for the tab: its page's title, its URL, or what it is loading. */
export function tabTitle(tab: Tab): string {
  if (tab.loading) return `→ ${tab.loading.url}`;
  if (!tab.page) return "(empty)";
  return tab.page.title ?? tab.page.url;
}

/**
 * The index of the inactive tab whose fetch has `id`, or `-1`.
 */
export function tabLoading(state: BrowserState, id: number): number {
  return state.tabs.findIndex((t, i) => i !== state.tab && t.loading?.id === id);
}

/**
 * Applies `change` to the inactive tab `index` as if it were active (the change sees that tab
 * as the state's own fields), then makes the original tab active again. The prompt and typed
 * digits stay as they were; the other shared fields (message, clock...) keep the change.
 */
export function inTab(
  state: BrowserState,
  index: number,
  change: (s: BrowserState) => BrowserState,
): BrowserState {
  const tabs = [...state.tabs];
  tabs[state.tab] = snapshot(state);
  const inner = change({ ...restore(state, tabs[index]), tabs, tab: index });
  const after = [...inner.tabs];
  after[index] = snapshot(inner);
  const back = restore(inner, after[state.tab]);
  const result: BrowserState = { ...back, tabs: after, tab: state.tab, digits: state.digits };
  if (state.prompt) result.prompt = state.prompt;
  else delete result.prompt;
  if (state.pick) result.pick = state.pick;
  else delete result.pick;
  result.queued = state.queued;
  return result;
}
