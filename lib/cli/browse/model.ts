/**
 * The screen model of `gemini browse`, with no I/O: a state (`./state.ts`),
 * `update(state, event)` that returns the next state and the effects to carry out (fetch a
 * URL, answer a question, save a bookmark, copy a URL, quit...), and `view(state)`
 * (`./view.ts`) that returns the lines to draw. Keys come through the tables of
 * `./keymap.ts`. The terminal layer and the controller in `./browser.ts` do the I/O.
 *
 * @module
 */

import { gemtextTitle } from "../../gemtext/links.ts";
import { parseGemtext } from "../../gemtext/parse.ts";
import { droppedPage, leaveEntry, trimCache } from "./cache.ts";
import { fitWidth } from "./columns.ts";
import {
  type PageCommand,
  pageCommand,
  pageKeyRows,
  type PromptCommand,
  promptCommand,
  promptKeyRows,
} from "./keymap.ts";
import { layoutPage, shownUrl } from "./layout.ts";
import { applyEdit, browseHistory, type EditCommand, insertText, remember } from "./line_editor.ts";
import { contentHeight, promptScroll } from "./panel.ts";
import {
  type BrowserEvent,
  type BrowserState,
  type Effect,
  type HistoryEntry,
  type InitialStateOptions,
  MAX_ANSWERS,
  MAX_LOG,
  MAX_TABS,
  type Nav,
  type Page,
  type Prompt,
  type PromptHistoryKind,
  type Tab,
} from "./state.ts";
import { EMPTY_LAYOUT, emptyTab, inTab, restore, snapshot, tabLoading, tabTitle } from "./tabs.ts";
import { maxHscroll, pageWidth, preformattedWidth } from "./geometry.ts";

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

type Step = [BrowserState, Effect[]];

/** The keys of the browser's pages, for `?`, `--help` and the README (from the key tables). */
export const KEYS: readonly { keys: string; action: string }[] = pageKeyRows();

/** The keys of the prompts, for `?`, `--help` and the README (from the key tables). */
export const PROMPT_KEYS: readonly { keys: string; action: string }[] = promptKeyRows();

/** The help page (gemtext) listing every key. */
export function helpGemtext(): string {
  return [
    "# gemini browse: keys",
    "",
    ...KEYS.map((k) => `* ${k.keys}: ${k.action}`),
    "",
    "## In a prompt",
    "",
    "Type the answer and press Enter; Esc cancels. A choice prompt takes one of the keys " +
    "shown in brackets. The question, its details and every choice always show in full: " +
    "the area below the status line grows as needed, and PgUp/PgDn scroll it when it is " +
    "taller than the window.",
    "",
    ...PROMPT_KEYS.map((k) => `* ${k.keys}: ${k.action}`),
    "",
    "## Links, tabs, the clipboard",
    "",
    "On a page with fewer than 10 links a digit follows its link at once. With more, the " +
    "link is followed as soon as the digits typed can name only one link (3 on a page of " +
    "25 links; 12 on a page of 150), and Enter follows the number typed so far.",
    "",
    "t opens a link in a new tab (the selected one, or t then its number); y copies a " +
    "link's URL to the terminal's clipboard the same way (OSC 52; the terminal must allow " +
    "it). Links to schemes the browser does not fetch (mailto, https...) offer the program " +
    "set in [browse.schemes] of config.toml, else the system's opener.",
    "",
    "## Memory",
    "",
    "Back and forward show pages from memory and never send a request; only R (reload) " +
    "fetches a page again, and it asks first when the page was reached with a hidden " +
    "(sensitive) answer. A page dropped from memory to keep it bounded says so; R loads it.",
    "",
    "The status line shows the tab, the URL, the status and media type, whether the " +
    "server's certificate is trusted, the identity (client certificate) in use and how far " +
    "down the page you are. Trust and identity decisions are always asked, never taken " +
    "silently.",
    "",
    "=> about:bookmarks Bookmarks",
    "=> about:history History",
    "=> about:subscriptions Subscriptions",
    "=> about:messages Messages",
    "",
  ].join("\n");
}

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

function maxScroll(state: BrowserState): number {
  return Math.max(0, state.layout.rows.length - contentHeight(state));
}

function clampScroll(state: BrowserState, scroll: number): number {
  return Math.max(0, Math.min(scroll, maxScroll(state)));
}

function relayout(state: BrowserState): BrowserState {
  if (!state.page) return { ...state, layout: EMPTY_LAYOUT, scroll: 0, hscroll: 0 };
  const next = { ...state, layout: layoutPage(state.page, pageWidth(state), state.color) };
  next.scroll = clampScroll(next, state.scroll);
  next.hscroll = Math.min(state.hscroll, maxHscroll(next));
  if (state.search) next.search = findMatches(next, state.search.term, next.scroll);
  return next;
}

function findMatches(
  state: BrowserState,
  term: string,
  from: number,
): { term: string; matches: number[]; index: number } {
  const needle = term.toLowerCase();
  const matches: number[] = [];
  state.layout.rows.forEach((row, i) => {
    if (needle !== "" && row.plain.toLowerCase().includes(needle)) matches.push(i);
  });
  const index = Math.max(0, matches.findIndex((row) => row >= from));
  return { term, matches, index };
}

/** Normalizes what the user typed as a URL: adds `gemini://` when no scheme is given. */
export function typedUrl(text: string): string {
  const t = text.trim();
  if (t === "") return t;
  if (/^[a-z][a-z0-9+.-]*:/i.test(t) && !/^[^/]+:\d+(\/|$)/.test(t)) return t;
  return "gemini://" + t.replace(/^\/\//, "");
}

/**
 * The URL one path level up: `/a/b/c.gmi` → `/a/b/`, `/a/b/` → `/a/`; `undefined` at the
 * root. Query and fragment are dropped.
 */
export function parentUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.search !== "" || u.hash !== "") {
    u.search = "";
    u.hash = "";
    return u.href;
  }
  const path = u.pathname;
  if (path === "" || path === "/") return undefined;
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  u.pathname = trimmed.slice(0, trimmed.lastIndexOf("/") + 1) || "/";
  return u.href;
}

/** The root of the URL's capsule (`gemini://host:port/`). */
export function rootUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.host === "") return undefined;
    return `${u.protocol}//${u.host}/`;
  } catch {
    return undefined;
  }
}

/** The URL of a page as it may be shown or copied: without a hidden (sensitive) query. */
function publicUrl(page: Page): string {
  if (!page.sensitive) return page.url;
  const q = page.url.indexOf("?");
  return q < 0 ? page.url : page.url.slice(0, q);
}

/** Whether a fetch is in flight in any tab. */
function anyLoading(state: BrowserState): boolean {
  return state.loading !== undefined ||
    state.tabs.some((t, i) => i !== state.tab && t.loading !== undefined);
}

/** Only one fetch runs at a time: a new one stops the fetch of any other tab. */
function stopOtherTabs(state: BrowserState): BrowserState {
  if (!state.tabs.some((t, i) => i !== state.tab && t.loading)) return state;
  return {
    ...state,
    tabs: state.tabs.map((t, i) => {
      if (i === state.tab || !t.loading) return t;
      const { loading: _l, progress: _p, ...rest } = t;
      return rest;
    }),
  };
}

function startFetch(state: BrowserState, url: string, nav: Nav, sensitive = false): Step {
  const id = state.nextId;
  const effects: Effect[] = anyLoading(state) ? [{ type: "cancel" }] : [];
  const page = state.page;
  const secret = sensitive || (page?.sensitive === true && page.url === url);
  const fetch: Effect = { type: "fetch", id, url, nav };
  if (secret) fetch.sensitive = true;
  effects.push(fetch);
  const shown = secret ? shownUrl({ url, sensitive: true }) : url;
  const next: BrowserState = {
    ...stopOtherTabs(state),
    nextId: id + 1,
    loading: { id, url: shown, nav },
    progress: undefined,
    attempted: secret ? undefined : url,
    digits: "",
    pick: undefined,
    message: `Loading ${shown}… (Esc cancels)`,
  };
  return [next, effects];
}

/** Shows `page` in the active tab with the given history around it. */
function present(
  state: BrowserState,
  page: Page,
  around: { back: HistoryEntry[]; forward: HistoryEntry[]; scroll: number; hscroll: number },
): BrowserState {
  const known = page.url.startsWith("about:") || page.sensitive || page.error
    ? state.known
    : [page.url, ...state.known.filter((u) => u !== page.url)];
  return trimCache(relayout({
    ...state,
    ...around,
    page,
    known,
    loading: undefined,
    progress: undefined,
    selected: undefined,
    digits: "",
    pick: undefined,
    search: undefined,
    message: page.title ?? "",
    clock: state.clock + 1,
  }));
}

function currentEntry(state: BrowserState): HistoryEntry | undefined {
  if (!state.page) return undefined;
  const entry = leaveEntry(state.page, state.scroll, state.clock);
  if (state.hscroll > 0) entry.hscroll = state.hscroll;
  return entry;
}

function loaded(state: BrowserState, id: number, loadedPage: Page): BrowserState {
  if (!state.loading || state.loading.id !== id) {
    const index = tabLoading(state, id);
    if (index < 0) return state;
    const next = inTab(state, index, (s) => loaded(s, id, loadedPage));
    const title = next.tabs[index].page?.title ?? loadedPage.url;
    return { ...next, message: `Tab ${index + 1}: ${title}` };
  }
  let page = loadedPage;
  if (page.title === undefined && page.mediaType === "text/gemini") {
    const title = gemtextTitle(parseGemtext(page.body));
    if (title !== undefined) page = { ...page, title };
  }
  if (state.loading.nav === "reload") {
    return present(state, page, {
      back: state.back,
      forward: state.forward,
      scroll: state.scroll,
      hscroll: state.hscroll,
    });
  }
  const current = currentEntry(state);
  const back = current && current.url !== page.url ? [...state.back, current] : state.back;
  return present(state, page, { back, forward: [], scroll: 0, hscroll: 0 });
}

/** Back (`step` -1) or forward (1) through the tab's history, from memory. */
function travel(state: BrowserState, step: -1 | 1): Step {
  const from = step < 0 ? state.back : state.forward;
  const entry = from.at(-1);
  if (!entry) {
    return [{ ...state, message: `No page to go ${step < 0 ? "back" : "forward"} to` }, []];
  }
  const effects: Effect[] = anyLoading(state) ? [{ type: "cancel" }] : [];
  const rest = from.slice(0, -1);
  const current = currentEntry(state);
  const to = step < 0 ? state.forward : state.back;
  const other = current ? [...to, current] : to;
  const page = entry.page ?? droppedPage(entry, state.cache.pages);
  const around = {
    back: step < 0 ? rest : other,
    forward: step < 0 ? other : rest,
    scroll: entry.scroll,
    hscroll: entry.hscroll ?? 0,
  };
  return [present(stopOtherTabs(state), page, around), effects];
}

/** `R`: fetch the page again; a page reached with a hidden answer asks first. */
function reload(state: BrowserState): Step {
  const page = state.page;
  const again = page?.url ?? state.attempted;
  if (!again) return [{ ...state, message: "Nothing to reload" }, []];
  if (!page) return startFetch(state, again, "push");
  if (page.sensitive && page.url.includes("?")) {
    let host = "the server";
    try {
      host = new URL(page.url).host || host;
    } catch {
      // keep the default
    }
    return [
      openPrompt(state, {
        kind: "choice",
        label: `This page was reached with a hidden answer. Reloading sends it to ${host} ` +
          "again. Send it?",
        value: "",
        choices: [
          { key: "y", label: "yes, send it again", value: "y" },
          { key: "n", label: "no", value: "n" },
        ],
        action: { type: "resend", url: page.url },
      }),
      [],
    ];
  }
  return startFetch(state, page.url, "reload", page.sensitive === true);
}

function ensureVisible(state: BrowserState, row: number): number {
  const h = contentHeight(state);
  if (row >= state.scroll && row < state.scroll + h) return state.scroll;
  return clampScroll(state, row - Math.floor(h / 3));
}

function selectLink(state: BrowserState, delta: 1 | -1): BrowserState {
  const links = state.layout.links;
  if (links.length === 0) return { ...state, message: "No links on this page" };
  let index: number;
  if (state.selected === undefined) {
    const h = contentHeight(state);
    const visible = (l: { row: number }): boolean =>
      l.row >= state.scroll && l.row < state.scroll + h;
    const found = delta === 1 ? links.findIndex(visible) : links.findLastIndex(visible);
    index = found >= 0 ? found : delta === 1 ? 0 : links.length - 1;
  } else {
    index = (state.selected + delta + links.length) % links.length;
  }
  const link = links[index];
  return {
    ...state,
    selected: index,
    scroll: ensureVisible(state, link.row),
    message: `[${link.number}] ${link.url}`,
  };
}

function follow(state: BrowserState, index: number): Step {
  const link = state.layout.links[index];
  if (!link) {
    return [
      { ...state, digits: "", pick: undefined, message: `No link ${index + 1} on this page` },
      [],
    ];
  }
  return startFetch({ ...state, selected: undefined }, link.url, "push");
}

/** Does what the digits were typed for (follow, new tab, copy) with link `index`. */
function pickLink(state: BrowserState, index: number): Step {
  const link = state.layout.links[index];
  const clean = { ...state, digits: "", pick: undefined };
  if (!link) return [{ ...clean, message: `No link ${index + 1} on this page` }, []];
  if (state.pick === "tab") return openInTab(clean, link.url);
  if (state.pick === "copy") return copy(clean, link.url);
  return follow(clean, index);
}

/**
 * A digit: the link is picked as soon as no other link number starts with the digits typed
 * (at once on a page with fewer than 10 links); Enter picks it earlier.
 */
function digitKey(state: BrowserState, key: string): Step {
  const digits = (state.digits + key).replace(/^0+/, "");
  if (digits === "") return [state, []];
  const n = Number(digits);
  if (n * 10 > state.layout.links.length) return pickLink(state, n - 1);
  return [{ ...state, digits }, []];
}

/** `t` and `y`: act on the selected link, or wait for its number. */
function linkAction(state: BrowserState, pick: "tab" | "copy"): Step {
  if (state.selected !== undefined) {
    const link = state.layout.links[state.selected];
    if (link) return pick === "tab" ? openInTab(state, link.url) : copy(state, link.url);
  }
  if (state.layout.links.length === 0) return [{ ...state, message: "No links on this page" }, []];
  return [{ ...state, pick, digits: "" }, []];
}

function copy(state: BrowserState, text: string): Step {
  return [
    { ...state, message: `Copied to the clipboard: ${text}` },
    [{ type: "copy", text }],
  ];
}

function openPrompt(state: BrowserState, prompt: Prompt): BrowserState {
  const cursor = prompt.cursor ?? prompt.value.length;
  return { ...state, prompt: { ...prompt, cursor }, digits: "", pick: undefined };
}

function closePrompt(state: BrowserState): BrowserState {
  const [next, ...rest] = state.queued;
  const closed: BrowserState = { ...state, prompt: next, queued: rest };
  if (!next) delete closed.prompt;
  return closed;
}

// ---- tabs ------------------------------------------------------------------------------

function switchTab(state: BrowserState, index: number): BrowserState {
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

function openInTab(state: BrowserState, url: string): Step {
  const next = addTab({ ...state, selected: undefined }, emptyTab());
  if (!next) return tooMany(state);
  return startFetch(next, url, "push");
}

function duplicateTab(state: BrowserState): Step {
  const tab: Tab = { ...emptyTab(), layout: state.layout, scroll: state.scroll };
  if (state.page) tab.page = state.page;
  const next = addTab(state, tab);
  return next ? [next, []] : tooMany(state);
}

function closeTab(state: BrowserState): Step {
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

function listTabs(state: BrowserState): BrowserState {
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

// ---- page keys -------------------------------------------------------------------------

function scrollTo(state: BrowserState, scroll: number): BrowserState {
  return { ...state, scroll: clampScroll(state, scroll), digits: "", pick: undefined };
}

function hscrollBy(state: BrowserState, direction: -1 | 1): BrowserState {
  const max = maxHscroll(state);
  if (max === 0) return { ...state, message: "No preformatted text here is wider than the screen" };
  const step = Math.max(4, Math.floor(preformattedWidth(state) / 2));
  const hscroll = Math.max(0, Math.min(max, state.hscroll + direction * step));
  return { ...state, hscroll };
}

function nextMatch(state: BrowserState, step: 1 | -1): BrowserState {
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

function toggleBookmark(state: BrowserState): Step {
  const url = state.page?.url;
  if (url === "about:bookmarks") {
    const link = state.selected !== undefined ? state.layout.links[state.selected] : undefined;
    if (!link) {
      return [{ ...state, message: "Select a bookmark with Tab, then press B to remove it" }, []];
    }
    return [{
      ...state,
      selected: undefined,
      bookmarks: state.bookmarks.filter((b) => b !== link.url),
      message: `Bookmark removed: ${link.url}`,
    }, [{ type: "bookmark-remove", url: link.url }]];
  }
  if (!url || url.startsWith("about:") || state.page?.sensitive || state.page?.error) {
    return [{ ...state, message: "Nothing to bookmark" }, []];
  }
  if (state.bookmarks.includes(url)) {
    return [{
      ...state,
      bookmarks: state.bookmarks.filter((b) => b !== url),
      message: `Bookmark removed: ${url}`,
    }, [{ type: "bookmark-remove", url }]];
  }
  const title = state.page?.title ?? url;
  return [{
    ...state,
    bookmarks: [...state.bookmarks, url],
    message: `Bookmarked: ${title}`,
  }, [{ type: "bookmark-add", url, title }]];
}

function subscribe(state: BrowserState): Step {
  const url = state.page?.url;
  if (!url || url.startsWith("about:")) {
    return [{ ...state, message: "Nothing to subscribe to" }, []];
  }
  return [{ ...state, message: `Subscribing to ${url}…` }, [{
    type: "subscribe",
    url,
    title: state.page?.title ?? url,
  }]];
}

function goUp(state: BrowserState, to: "up" | "root"): Step {
  const url = state.page?.url;
  if (url?.startsWith("about:")) {
    return [{
      ...state,
      message: to === "up"
        ? "This page of the browser has no parent"
        : "This page of the browser has no capsule root",
    }, []];
  }
  const target = url ? (to === "up" ? parentUrl(url) : rootUrl(url)) : undefined;
  if (to === "up" && !target) return [{ ...state, message: "Already at the top level" }, []];
  if (!target || target === url) return [{ ...state, message: "Already at the root" }, []];
  return startFetch(state, target, "push");
}

function cancelKey(state: BrowserState, key: string): Step {
  if (state.digits || state.pick) {
    return [{ ...state, digits: "", pick: undefined, message: "" }, []];
  }
  if (anyLoading(state)) {
    const next = stopOtherTabs({ ...state, loading: undefined, progress: undefined });
    return [{ ...next, message: "Cancelled" }, [{ type: "cancel" }]];
  }
  if (key === "ctrl-c") return [state, [{ type: "quit" }]];
  return [{ ...state, selected: undefined, search: undefined, message: "" }, []];
}

function editUrl(state: BrowserState): BrowserState {
  const value = state.page && !state.page.url.startsWith("about:") ? publicUrl(state.page) : "";
  return openPrompt(state, { kind: "url", label: "Open", value });
}

const PAGE_COMMANDS: Record<PageCommand, (state: BrowserState, key: string) => Step> = {
  "scroll-down": (s) => [scrollTo(s, s.scroll + 1), []],
  "scroll-up": (s) => [scrollTo(s, s.scroll - 1), []],
  "page-down": (s) => [scrollTo(s, s.scroll + Math.max(1, contentHeight(s) - 1)), []],
  "page-up": (s) => [scrollTo(s, s.scroll - Math.max(1, contentHeight(s) - 1)), []],
  top: (s) => [scrollTo(s, 0), []],
  bottom: (s) => [scrollTo(s, maxScroll(s)), []],
  "scroll-left": (s) => [hscrollBy(s, -1), []],
  "scroll-right": (s) => [hscrollBy(s, 1), []],
  "next-link": (s) => [selectLink(s, 1), []],
  "previous-link": (s) => [selectLink(s, -1), []],
  follow: (s) => {
    if (s.digits !== "") return pickLink(s, Number(s.digits) - 1);
    if (s.selected !== undefined) return follow(s, s.selected);
    return [s, []];
  },
  open: (s) => [openPrompt(s, { kind: "url", label: "Open", value: "" }), []],
  "edit-url": (s) => [editUrl(s), []],
  back: (s) => travel(s, -1),
  forward: (s) => travel(s, 1),
  reload,
  search: (s) => [openPrompt(s, { kind: "search", label: "Search", value: "" }), []],
  "next-match": (s) => [nextMatch(s, 1), []],
  "previous-match": (s) => [nextMatch(s, -1), []],
  up: (s) => goUp(s, "up"),
  root: (s) => goUp(s, "root"),
  "link-in-tab": (s) => linkAction(s, "tab"),
  "duplicate-tab": duplicateTab,
  "close-tab": closeTab,
  "previous-tab": (s) => [switchTab(s, (s.tab - 1 + s.tabs.length) % s.tabs.length), []],
  "next-tab": (s) => [switchTab(s, (s.tab + 1) % s.tabs.length), []],
  "go-tab": (s, key) => [switchTab(s, Number(key.slice(-1)) - 1), []],
  "list-tabs": (s) => [listTabs(s), []],
  "copy-link": (s) => linkAction(s, "copy"),
  "copy-page": (s) =>
    s.page && !s.page.url.startsWith("about:")
      ? copy(s, publicUrl(s.page))
      : [{ ...s, message: "No URL to copy" }, []],
  bookmark: toggleBookmark,
  bookmarks: (s) => startFetch(s, "about:bookmarks", "push"),
  history: (s) => startFetch(s, "about:history", "push"),
  subscribe,
  subscriptions: (s) => startFetch(s, "about:subscriptions", "push"),
  messages: (s) => startFetch(s, "about:messages", "push"),
  help: (s) => startFetch(s, "about:help", "push"),
  cancel: cancelKey,
  redraw: (s) => [s, []],
  quit: (s, key) => key === "ctrl-c" ? cancelKey(s, key) : [s, [{ type: "quit" }]],
};

/** A navigation key without its modifier (`ctrl-up` → `up`), for keys with no binding. */
function unmodified(key: string): string {
  return key.replace(
    /^(shift|ctrl|alt)-(?=up$|down$|left$|right$|home$|end$|pageup$|pagedown$|delete$)/,
    "",
  );
}

function pageKey(state: BrowserState, key: string): Step {
  if (/^[0-9]$/.test(key)) return digitKey(state, key);
  if (key === "backspace" && state.digits) {
    return [{ ...state, digits: state.digits.slice(0, -1) }, []];
  }
  const command = pageCommand(key) ?? pageCommand(unmodified(key));
  return command ? PAGE_COMMANDS[command](state, key) : [state, []];
}

// ---- prompt keys -----------------------------------------------------------------------

function historyKind(prompt: Prompt): PromptHistoryKind | undefined {
  if (prompt.kind === "url" || prompt.kind === "search") return prompt.kind;
  if (prompt.kind === "input" || prompt.kind === "text") return "input";
  return undefined;
}

function withAnswer(state: BrowserState, prompt: Prompt): BrowserState {
  const kind = historyKind(prompt);
  if (!kind) return state;
  return {
    ...state,
    answers: { ...state.answers, [kind]: remember(state.answers[kind], prompt.value, MAX_ANSWERS) },
  };
}

function completions(state: BrowserState, base: string): string[] {
  const b = base.trim().toLowerCase();
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (u: string): void => {
    if (!seen.has(u)) {
      seen.add(u);
      out.push(u);
    }
  };
  for (const u of state.known) if (u.toLowerCase().startsWith(b)) add(u);
  for (const u of state.known) {
    if (u.toLowerCase().replace(/^[a-z]+:\/\//, "").startsWith(b)) add(u);
  }
  for (const u of state.known) if (b !== "" && u.toLowerCase().includes(b)) add(u);
  return out;
}

function complete(state: BrowserState, prompt: Prompt, step: 1 | -1): BrowserState {
  const base = prompt.completion?.base ?? prompt.value;
  const list = completions(state, base);
  if (list.length === 0) return { ...state, prompt: { ...prompt, note: "no completion" } };
  const index = prompt.completion
    ? (prompt.completion.index + step + list.length) % list.length
    : (step === 1 ? 0 : list.length - 1);
  return {
    ...state,
    prompt: {
      ...prompt,
      value: list[index],
      cursor: list[index].length,
      completion: { base, index },
      note: list.length > 1 ? `${index + 1} of ${list.length}` : undefined,
    },
  };
}

function submit(state: BrowserState, prompt: Prompt): Step {
  const next = closePrompt(withAnswer(state, prompt));
  const value = prompt.value;
  if (prompt.kind === "url") {
    const url = typedUrl(value);
    return url === "" ? [next, []] : startFetch(next, url, "push");
  }
  if (prompt.kind === "search") {
    if (value === "") return [{ ...next, search: undefined }, []];
    const search = findMatches(next, value, next.scroll);
    if (search.matches.length === 0) {
      return [{ ...next, search, message: `Not found: ${value}` }, []];
    }
    return [{
      ...next,
      search,
      scroll: ensureVisible(next, search.matches[search.index]),
      message: `Match ${search.index + 1} of ${search.matches.length}`,
    }, []];
  }
  return [next, [{ type: "answer", id: prompt.id ?? 0, value }]];
}

/** The answer of one of the model's own choice prompts. */
function ownChoice(state: BrowserState, prompt: Prompt, value: string | null): Step {
  const next = closePrompt(state);
  const action = prompt.action!;
  if (action.type === "resend") {
    if (value !== "y") {
      return [{ ...next, message: "Not reloaded: the answer was not sent again" }, []];
    }
    return startFetch(next, action.url, "reload", true);
  }
  return value === null ? [next, []] : [switchTab(next, Number(value)), []];
}

function choiceKey(
  state: BrowserState,
  prompt: Prompt,
  key: string,
  command?: PromptCommand,
): Step {
  let value: string | null | undefined;
  if (command === "cancel") value = prompt.cancelValue ?? null;
  else value = prompt.choices?.find((c) => c.key === key)?.value;
  if (value === undefined) return [state, []];
  if (prompt.action) return ownChoice(state, prompt, value);
  return [closePrompt(state), [{ type: "answer", id: prompt.id ?? 0, value }]];
}

function editPrompt(state: BrowserState, prompt: Prompt, command: EditCommand): BrowserState {
  if (command === "history-previous" || command === "history-next") {
    const kind = historyKind(prompt);
    const line = { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length };
    const moved = kind
      ? browseHistory(
        state.answers[kind],
        line,
        prompt.history,
        command === "history-previous" ? 1 : -1,
      )
      : undefined;
    if (!moved) return state;
    return {
      ...state,
      prompt: {
        ...prompt,
        ...moved.line,
        history: moved.position,
        completion: undefined,
        note: undefined,
      },
    };
  }
  const line = applyEdit(
    { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length },
    command,
  );
  return { ...state, prompt: { ...prompt, ...line, completion: undefined, note: undefined } };
}

function promptKey(state: BrowserState, key: string): Step {
  const prompt = state.prompt!;
  const command = promptCommand(key) ?? promptCommand(unmodified(key));
  if (command === "panel-up" || command === "panel-down") {
    return [{
      ...state,
      prompt: { ...prompt, scroll: promptScroll(state, command === "panel-up" ? -1 : 1) },
    }, []];
  }
  if (prompt.kind === "choice") return choiceKey(state, prompt, key, command);
  switch (command) {
    case "cancel": {
      const next = closePrompt(state);
      return [
        next,
        prompt.id !== undefined ? [{ type: "answer", id: prompt.id, value: null }] : [],
      ];
    }
    case "submit":
      return submit(state, prompt);
    case "complete":
    case "complete-back":
      return prompt.kind === "url"
        ? [complete(state, prompt, command === "complete" ? 1 : -1), []]
        : [state, []];
    case undefined:
      break;
    default:
      return [editPrompt(state, prompt, command), []];
  }
  if ([...key].length === 1 && key >= " ") {
    const line = insertText(
      { value: prompt.value, cursor: prompt.cursor ?? prompt.value.length },
      key,
    );
    return [
      { ...state, prompt: { ...prompt, ...line, completion: undefined, note: undefined } },
      [],
    ];
  }
  return [state, []];
}

// ---- events ----------------------------------------------------------------------------

function finished(state: BrowserState, id: number, message: string): BrowserState {
  if (state.loading?.id === id) {
    return { ...state, loading: undefined, progress: undefined, message };
  }
  const index = tabLoading(state, id);
  if (index < 0) return state;
  const next = inTab(state, index, (s) => ({ ...s, loading: undefined, progress: undefined }));
  return { ...next, message: `Tab ${index + 1}: ${message}` };
}

function ask(state: BrowserState, prompt: Prompt): BrowserState {
  if (!state.prompt) return openPrompt(state, prompt);
  // A controller question goes before a pending prompt of the user's or the model's.
  if (state.prompt.id === undefined) return openPrompt(state, prompt);
  return { ...state, queued: [...state.queued, prompt] };
}

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
      return [loaded(state, e.id, e.page), []];
    case "finished":
      return [finished(state, e.id, e.message), []];
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
