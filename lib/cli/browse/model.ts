/**
 * The screen model of `gemini browse`, with no I/O: a state (`./state.ts`),
 * `update(state, event)` that returns the next state and the effects to carry out (fetch a
 * URL, answer a question, save a bookmark, copy a URL, quit...), and `view(state)`
 * (`./view.ts`) that returns the lines to draw. Keys go through the tables of `./keymap.ts`
 * to `./page_keys.ts` and `./prompt_keys.ts`; pages come and go in `./navigation.ts`, tabs in
 * `./tab_commands.ts`. The terminal layer and the controller in `./browser.ts` do the I/O.
 *
 * @module
 */

import { finished, loaded } from "./navigation.ts";
import { follow, pageKey } from "./page_keys.ts";
import { promptKey } from "./prompt_keys.ts";
import { ask, closePrompt } from "./prompts.ts";
import { clampScroll, relayout } from "./scroll.ts";
import {
  type BrowserEvent,
  type BrowserState,
  type Effect,
  type InitialStateOptions,
  MAX_LOG,
  type Step,
} from "./state.ts";
import { emptyTab } from "./tabs.ts";

export type {
  BrowserEvent,
  BrowserState,
  Choice,
  Effect,
  HistoryEntry,
  InitialStateOptions,
  Layout,
  LineStyle,
  Nav,
  Page,
  Prompt,
  ScreenLine,
  Tab,
} from "./state.ts";
export { contentHeight } from "./panel.ts";
export { fitWidth } from "./columns.ts";
export { cursorPosition, fitStatus, pageWidth, statusText, view } from "./view.ts";
export { KEYS, PROMPT_KEYS } from "./keymap.ts";
export { helpGemtext } from "./help.ts";
export { parentUrl, rootUrl, typedUrl } from "./urls.ts";

/**
 * A fresh state: no page, empty history, one tab.
 *
 * @example
 * ```ts
 * import { initialState, view } from "./model.ts";
 * import assert from "node:assert/strict";
 * const s = initialState({ width: 40, height: 5 });
 * assert.equal(view(s).length, 5);
 * ```
 */
export function initialState(options: InitialStateOptions = {}): BrowserState {
  return {
    width: Math.max(1, options.width ?? 80),
    height: Math.max(3, options.height ?? 24),
    maxWidth: Math.max(1, options.maxWidth ?? 100),
    color: options.color ?? false,
    ...emptyTab(),
    digits: "",
    nextId: 1,
    queued: [],
    message: "Press ? for help, o to open a URL, q to quit",
    log: [],
    bookmarks: [],
    known: [],
    tabs: [emptyTab()],
    tab: 0,
    answers: { url: [], search: [], input: [] },
    cache: {
      pages: Math.max(0, options.cachePages ?? 100),
      chars: Math.max(0, options.cacheChars ?? 16 * 1024 * 1024),
    },
    clock: 0,
  };
}

/** The step of one event: a key goes to the prompt when one is open, else to the page. */
function event(state: BrowserState, e: BrowserEvent): Step {
  switch (e.type) {
    case "key":
      return state.prompt ? promptKey(state, e.key) : pageKey(state, e.key);
    case "resize":
      return [
        relayout({ ...state, width: Math.max(1, e.width), height: Math.max(3, e.height) }),
        [],
      ];
    case "loaded":
      return [loaded(state, e), []];
    case "finished":
      return [finished(state, e), []];
    case "progress":
      return [{ ...state, message: e.text, progress: state.loading ? e.text : undefined }, []];
    case "message":
      return [{ ...state, message: e.text }, []];
    case "ask":
      return [ask(state, e.prompt), []];
    case "unask":
      if (state.prompt?.id === e.id) return [closePrompt(state), []];
      return [{ ...state, queued: state.queued.filter((p) => p.id !== e.id) }, []];
    case "follow":
      return state.prompt ? [state, []] : follow(state, e.number - 1);
    case "bookmarks":
      return [{ ...state, bookmarks: e.urls }, []];
    case "known":
      return [{ ...state, known: e.urls }, []];
  }
}

/** Keeps a new message for `M` (not progress, loading notes or page titles). */
function logMessage(before: BrowserState, after: BrowserState): BrowserState {
  const m = after.message;
  if (m === "" || m === before.message || m === after.progress || m === after.page?.title) {
    return after;
  }
  if (/^(Loading |Match \d)/.test(m)) return after;
  return { ...after, log: [m, ...after.log].slice(0, MAX_LOG) };
}

/**
 * The next state and the effects to carry out after `input` (a key name such as `j`,
 * `enter`, `pagedown`, `shift-tab`, or an event).
 *
 * @example
 * ```ts
 * import { initialState, update } from "./model.ts";
 * import assert from "node:assert/strict";
 * const { effects } = update(initialState(), "q");
 * assert.equal(effects[0].type, "quit");
 * ```
 */
export function update(
  state: BrowserState,
  input: string | BrowserEvent,
): { state: BrowserState; effects: Effect[] } {
  const e: BrowserEvent = typeof input === "string" ? { type: "key", key: input } : input;
  const [next, effects] = event(state, e);
  const logged = logMessage(state, next);
  // The area below the status line may have shrunk (a prompt closed, a shorter message):
  // the page never stays scrolled past its end.
  const scroll = clampScroll(logged, logged.scroll);
  return { state: scroll === logged.scroll ? logged : { ...logged, scroll }, effects };
}
