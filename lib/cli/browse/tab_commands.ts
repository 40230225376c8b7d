/**
 * The tab commands of `gemini browse`: switch, open a link or the page in a new tab, close,
 * and the list of tabs to pick from. Pure.
 *
 * @module
 */

import { fitWidth } from "./columns.ts";
import { startFetch } from "./navigation.ts";
import { openPrompt } from "./prompts.ts";
import { relayout } from "./scroll.ts";
import { type BrowserState, type Effect, MAX_TABS, type Step, type Tab } from "./state.ts";
import { emptyTab, restore, snapshot, tabTitle } from "./tabs.ts";

/** Makes tab `index` the active one (a message when there is no such tab). */
export function switchTab(state: BrowserState, index: number): BrowserState {
  if (index < 0 || index >= state.tabs.length) {
    return { ...state, message: `No tab ${index + 1} (${state.tabs.length} open)` };
  }
  if (index === state.tab) return { ...state, message: `Tab ${index + 1}: ${tabTitle(state)}` };
  const tabs = [...state.tabs];
  tabs[state.tab] = snapshot(state);
  const next = relayout({ ...restore(state, tabs[index]), tabs, tab: index, digits: "" });
  return {
    ...next,
    pick: undefined,
    message: `Tab ${index + 1} of ${tabs.length}: ${tabTitle(next)}`,
  };
}

function addTab(state: BrowserState, tab: Tab): BrowserState | undefined {
  if (state.tabs.length >= MAX_TABS) return undefined;
  const tabs = [...state.tabs];
  tabs[state.tab] = snapshot(state);
  tabs.splice(state.tab + 1, 0, tab);
  return switchTab({ ...state, tabs }, state.tab + 1);
}

function tooMany(state: BrowserState): Step {
  return [{ ...state, message: `At most ${MAX_TABS} tabs; close one with x` }, []];
}

/** Opens `url` in a new tab after the active one. */
export function openInTab(state: BrowserState, url: string): Step {
  const next = addTab({ ...state, selected: undefined }, emptyTab());
  if (!next) return tooMany(state);
  return startFetch(next, { url });
}

/** `T`: a new tab showing this page. */
export function duplicateTab(state: BrowserState): Step {
  const tab: Tab = { ...emptyTab(), layout: state.layout, scroll: state.scroll };
  if (state.page) tab.page = state.page;
  const next = addTab(state, tab);
  return next ? [next, []] : tooMany(state);
}

/** `x`: closes the active tab (not the last one). */
export function closeTab(state: BrowserState): Step {
  if (state.tabs.length === 1) {
    return [{ ...state, message: "This is the only tab; q quits" }, []];
  }
  const effects: Effect[] = state.loading ? [{ type: "cancel" }] : [];
  const tabs = state.tabs.filter((_, i) => i !== state.tab);
  const index = Math.max(0, state.tab - 1);
  const next = relayout({ ...restore(state, tabs[index]), tabs, tab: index });
  return [
    { ...next, message: `Tab closed; tab ${index + 1} of ${tabs.length}: ${tabTitle(next)}` },
    effects,
  ];
}

/** `L`: a choice of the open tabs. */
export function listTabs(state: BrowserState): BrowserState {
  const all = state.tabs.map((t, i) => i === state.tab ? snapshot(state) : t);
  return openPrompt(state, {
    kind: "choice",
    label: `Switch to tab (now ${state.tab + 1} of ${all.length}):`,
    value: "",
    choices: all.map((t, i) => ({
      key: String(i + 1),
      label: fitWidth(tabTitle(t), 30),
      value: String(i),
    })),
    action: { type: "switch-tab" },
  });
}
