/**
 * The screen model of `gemini browse`, with no I/O: a state, `update(state, event)` that
 * returns the next state and the effects to carry out (fetch a URL, answer a question, save a
 * bookmark, quit...), and `view(state)` that returns the lines to draw. The terminal layer and
 * the controller in `../browse.ts` do the I/O.
 *
 * @module
 */

import { gemtextTitle } from "../../gemtext/links.ts";
import { parseGemtext } from "../../gemtext/parse.ts";
import { displayWidth, wrapText } from "../../gemtext/render.ts";
import { type Layout, layoutPage, type Page, shownUrl } from "./layout.ts";

export type { Layout, Page };

/** How a fetch moves through history. */
export type Nav = "push" | "back" | "forward" | "reload";

/** A place in history: a URL and how far down it was read. */
export interface HistoryEntry {
  /** The URL. */
  url: string;
  /** Scroll offset when left. */
  scroll: number;
  /** The URL carries a sensitive answer (never shown). */
  sensitive?: boolean;
}

/** One answer of a choice prompt. */
export interface Choice {
  /** The key that picks it (one character). */
  key: string;
  /** What it does, e.g. `trust once`. */
  label: string;
  /** The value sent back in the `answer` effect. */
  value: string;
}

/**
 * A question in the prompt line. `url` and `search` belong to the model; the others are
 * asked by the controller (`ask` event, with an `id`) and answered with an `answer` effect.
 */
export interface Prompt {
  /** `url` open a URL; `search` find in page; `input` visible text; `secret` hidden text
   * (never drawn); `text` visible text asked by the browser; `choice` one key of `choices`. */
  kind: "url" | "search" | "input" | "secret" | "text" | "choice";
  /** Id of a controller question; answers carry it. */
  id?: number;
  /** The question. */
  label: string;
  /** Text typed so far. */
  value: string;
  /** Answers of a `choice` prompt. */
  choices?: Choice[];
  /** Value answered on Escape for a `choice` prompt (default: `null`). */
  cancelValue?: string;
  /** Lines shown in a box above the prompt (e.g. certificate fingerprints). */
  details?: string[];
  /** URL completion: candidates for the text as it was before Tab, and the one shown. */
  completion?: { base: string; index: number };
  /** A short note shown at the right of the prompt line (e.g. `2 of 5`, `no completion`). */
  note?: string;
}

/** Effects `update` asks the controller to carry out. */
export type Effect =
  | { type: "fetch"; id: number; url: string; nav: Nav; sensitive?: boolean }
  | { type: "cancel" }
  | { type: "answer"; id: number; value: string | null }
  | { type: "bookmark-add"; url: string; title: string }
  | { type: "bookmark-remove"; url: string }
  | { type: "subscribe"; url: string; title: string }
  | { type: "quit" };

/** Everything that can happen to the model besides a key. */
export type BrowserEvent =
  | { type: "key"; key: string }
  | { type: "resize"; width: number; height: number }
  | { type: "loaded"; id: number; page: Page }
  | { type: "finished"; id: number; message: string }
  | { type: "progress"; text: string }
  | { type: "message"; text: string }
  | { type: "ask"; prompt: Prompt }
  | { type: "unask"; id: number }
  | { type: "bookmarks"; urls: string[] }
  | { type: "known"; urls: string[] };

/** The whole browser state. Treat as immutable: `update` returns a new one. */
export interface BrowserState {
  /** Window size in cells. */
  width: number;
  /** Window rows. */
  height: number;
  /** Readable maximum width of the page column. */
  maxWidth: number;
  /** Emit ANSI styles in page rows. */
  color: boolean;
  /** The page shown, if any. */
  page?: Page;
  /** The page laid out at the current width. */
  layout: Layout;
  /** First page row on screen. */
  scroll: number;
  /** Index (0-based) of the link selected with Tab. */
  selected?: number;
  /** Digits typed to follow a link. */
  digits: string;
  /** Pages behind (last = most recent). */
  back: HistoryEntry[];
  /** Pages ahead (last = next). */
  forward: HistoryEntry[];
  /** The fetch in flight. */
  loading?: { id: number; url: string; nav: Nav };
  /** Progress of the fetch in flight (download size, retry wait), shown in the status line. */
  progress?: string;
  /** The URL of the last fetch started (what `R` retries when no page is shown). */
  attempted?: string;
  /** Next fetch id. */
  nextId: number;
  /** Search term and the page rows that match it. */
  search?: { term: string; matches: number[]; index: number };
  /** The open prompt. */
  prompt?: Prompt;
  /** Controller questions waiting behind the open prompt. */
  queued: Prompt[];
  /** The message on the bottom line. */
  message: string;
  /** Bookmarked URLs (for `B` to add or remove). */
  bookmarks: string[];
  /** URLs for completion (history and bookmarks), most recent first. */
  known: string[];
}

/** Options for {@linkcode initialState}. */
export interface InitialStateOptions {
  /** Window columns. Default 80. */
  width?: number;
  /** Window rows. Default 24. */
  height?: number;
  /** Readable maximum page width. Default 100. */
  maxWidth?: number;
  /** ANSI styles in page rows. Default false. */
  color?: boolean;
}

/** The keys of the browser, for `?`, `--help` and the README. */
export const KEYS: readonly { keys: string; action: string }[] = [
  { keys: "j, Down", action: "scroll down one line" },
  { keys: "k, Up", action: "scroll up one line" },
  { keys: "Space, PgDn", action: "scroll down one page" },
  { keys: "PgUp", action: "scroll up one page" },
  { keys: "g, Home", action: "go to the top" },
  { keys: "G, End", action: "go to the bottom" },
  { keys: "1-9... Enter", action: "follow link number N" },
  { keys: "Tab, Shift-Tab", action: "select the next / previous link" },
  { keys: "Enter", action: "follow the selected link" },
  { keys: "o, :", action: "open a URL (Tab completes from history and bookmarks)" },
  { keys: "b, Left", action: "back" },
  { keys: "f, Right", action: "forward" },
  { keys: "R", action: "reload" },
  { keys: "/", action: "search the page" },
  { keys: "n, N", action: "next / previous search match" },
  { keys: "u", action: "up one path level" },
  { keys: "r", action: "go to the root of the capsule" },
  { keys: "B", action: "bookmark this page (again, or on a selected bookmark: remove it)" },
  { keys: "m", action: "bookmarks page" },
  { keys: "h", action: "history page" },
  { keys: "s", action: "subscribe to this page as a feed" },
  { keys: "S", action: "subscriptions: new feed entries" },
  { keys: "?", action: "this help page" },
  { keys: "Esc", action: "cancel a prompt, a page load, a selection or a search" },
  { keys: "Ctrl-L", action: "redraw the screen" },
  { keys: "q, Ctrl-C", action: "quit (Ctrl-C first cancels a page load)" },
];

/** The help page (gemtext) listing every key. */
export function helpGemtext(): string {
  const width = Math.max(...KEYS.map((k) => k.keys.length));
  return [
    "# gemini browse: keys",
    "",
    "```",
    ...KEYS.map((k) => `${k.keys.padEnd(width)}  ${k.action}`),
    "```",
    "",
    "Prompts: type the answer and press Enter; Escape cancels. A choice prompt takes one key.",
    "",
    "The status line shows the URL, the status and media type, whether the server's " +
    "certificate is trusted, the identity (client certificate) in use and how far down " +
    "the page you are. Trust and identity decisions are always asked, never taken silently.",
    "",
    "=> about:bookmarks Bookmarks",
    "=> about:history History",
    "=> about:subscriptions Subscriptions",
    "",
  ].join("\n");
}

const EMPTY_LAYOUT: Layout = { rows: [], links: [], width: 1 };

/**
 * A fresh state: no page, empty history.
 *
 * @example
 * ```ts
 * import { initialState, view } from "./model.ts";
 * const s = initialState({ width: 40, height: 5 });
 * console.assert(view(s).length === 5);
 * ```
 */
export function initialState(options: InitialStateOptions = {}): BrowserState {
  return {
    width: Math.max(1, options.width ?? 80),
    height: Math.max(3, options.height ?? 24),
    maxWidth: Math.max(1, options.maxWidth ?? 100),
    color: options.color ?? false,
    layout: EMPTY_LAYOUT,
    scroll: 0,
    digits: "",
    back: [],
    forward: [],
    nextId: 1,
    queued: [],
    message: "Press ? for help, o to open a URL, q to quit",
    bookmarks: [],
    known: [],
  };
}

/** Columns of the page text: the window width capped at the readable maximum. */
export function pageWidth(state: BrowserState): number {
  return Math.max(1, Math.min(state.width, state.maxWidth));
}

/** Rows available for the page (the window minus the status and prompt lines). */
export function contentHeight(state: BrowserState): number {
  return Math.max(1, state.height - 2);
}

function maxScroll(state: BrowserState): number {
  return Math.max(0, state.layout.rows.length - contentHeight(state));
}

function clampScroll(state: BrowserState, scroll: number): number {
  return Math.max(0, Math.min(scroll, maxScroll(state)));
}

function relayout(state: BrowserState): BrowserState {
  if (!state.page) return { ...state, layout: EMPTY_LAYOUT, scroll: 0 };
  const layout = layoutPage(state.page, pageWidth(state), state.color);
  const next = { ...state, layout };
  next.scroll = clampScroll(next, state.scroll);
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

function startFetch(
  state: BrowserState,
  url: string,
  nav: Nav,
  sensitive = false,
): [BrowserState, Effect[]] {
  const id = state.nextId;
  const effects: Effect[] = state.loading ? [{ type: "cancel" }] : [];
  const page = state.page;
  const secret = sensitive || (page?.sensitive === true && page.url === url);
  const fetch: Effect = { type: "fetch", id, url, nav };
  if (secret) fetch.sensitive = true;
  effects.push(fetch);
  const shown = secret ? shownUrl({ url, sensitive: true }) : url;
  return [{
    ...state,
    nextId: id + 1,
    loading: { id, url: shown, nav },
    progress: undefined,
    attempted: secret ? undefined : url,
    digits: "",
    message: `Loading ${shown}… (Esc cancels)`,
  }, effects];
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
    const visible = links.findIndex((l) => l.row >= state.scroll && l.row < state.scroll + h);
    if (delta === 1) index = visible >= 0 ? visible : 0;
    else {
      const lastVisible = links.findLastIndex((l) =>
        l.row >= state.scroll && l.row < state.scroll + h
      );
      index = lastVisible >= 0 ? lastVisible : links.length - 1;
    }
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

function follow(state: BrowserState, index: number): [BrowserState, Effect[]] {
  const link = state.layout.links[index];
  if (!link) {
    return [{ ...state, digits: "", message: `No link ${index + 1} on this page` }, []];
  }
  return startFetch({ ...state, selected: undefined }, link.url, "push");
}

function openPrompt(state: BrowserState, prompt: Prompt): BrowserState {
  return { ...state, prompt, digits: "" };
}

function closePrompt(state: BrowserState): BrowserState {
  const [next, ...rest] = state.queued;
  return { ...state, prompt: next, queued: rest };
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

function promptKey(state: BrowserState, key: string): [BrowserState, Effect[]] {
  const prompt = state.prompt!;
  if (prompt.kind === "choice") {
    if (key === "escape" || key === "ctrl-c") {
      return [closePrompt(state), [{
        type: "answer",
        id: prompt.id ?? 0,
        value: prompt.cancelValue ?? null,
      }]];
    }
    const choice = prompt.choices?.find((c) => c.key === key);
    if (!choice) return [state, []];
    return [closePrompt(state), [{ type: "answer", id: prompt.id ?? 0, value: choice.value }]];
  }
  if (key === "escape" || key === "ctrl-c") {
    const next = closePrompt(state);
    if (prompt.id !== undefined) {
      return [next, [{ type: "answer", id: prompt.id, value: null }]];
    }
    return [next, []];
  }
  if (key === "enter") {
    const next = closePrompt(state);
    const value = prompt.value;
    if (prompt.kind === "url") {
      const url = typedUrl(value);
      if (url === "") return [next, []];
      return startFetch(next, url, "push");
    }
    if (prompt.kind === "search") {
      if (value === "") return [{ ...next, search: undefined }, []];
      const search = findMatches(next, value, next.scroll);
      if (search.matches.length === 0) {
        return [{ ...next, search, message: `Not found: ${value}` }, []];
      }
      const row = search.matches[search.index];
      return [{
        ...next,
        search,
        scroll: ensureVisible(next, row),
        message: `Match ${search.index + 1} of ${search.matches.length}`,
      }, []];
    }
    return [next, [{ type: "answer", id: prompt.id ?? 0, value }]];
  }
  if (key === "backspace") {
    const chars = [...prompt.value];
    chars.pop();
    return [{
      ...state,
      prompt: { ...prompt, value: chars.join(""), completion: undefined, note: undefined },
    }, []];
  }
  if (key === "ctrl-u") {
    return [{ ...state, prompt: { ...prompt, value: "", completion: undefined } }, []];
  }
  if ((key === "tab" || key === "shift-tab") && prompt.kind === "url") {
    const base = prompt.completion?.base ?? prompt.value;
    const list = completions(state, base);
    if (list.length === 0) {
      return [{ ...state, prompt: { ...prompt, note: "no completion" } }, []];
    }
    const step = key === "tab" ? 1 : -1;
    const index = prompt.completion
      ? (prompt.completion.index + step + list.length) % list.length
      : (step === 1 ? 0 : list.length - 1);
    return [{
      ...state,
      prompt: {
        ...prompt,
        value: list[index],
        completion: { base, index },
        note: list.length > 1 ? `${index + 1} of ${list.length}` : undefined,
      },
    }, []];
  }
  if ([...key].length === 1 && key >= " ") {
    return [{
      ...state,
      prompt: { ...prompt, value: prompt.value + key, completion: undefined, note: undefined },
    }, []];
  }
  return [state, []];
}

function scrollTo(state: BrowserState, scroll: number): BrowserState {
  return { ...state, scroll: clampScroll(state, scroll), digits: "" };
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

function pageKey(state: BrowserState, key: string): [BrowserState, Effect[]] {
  const page = contentHeight(state);
  const step = Math.max(1, page - 1);
  const url = state.page?.url;
  if (/^[0-9]$/.test(key)) {
    const digits = (state.digits + key).replace(/^0+/, "");
    return [{ ...state, digits, message: digits ? `Follow link ${digits} (Enter)` : "" }, []];
  }
  switch (key) {
    case "j":
    case "down":
      return [scrollTo(state, state.scroll + 1), []];
    case "k":
    case "up":
      return [scrollTo(state, state.scroll - 1), []];
    case " ":
    case "pagedown":
    case "ctrl-f":
      return [scrollTo(state, state.scroll + step), []];
    case "pageup":
    case "ctrl-b":
      return [scrollTo(state, state.scroll - step), []];
    case "g":
    case "home":
      return [scrollTo(state, 0), []];
    case "G":
    case "end":
      return [scrollTo(state, maxScroll(state)), []];
    case "tab":
      return [selectLink(state, 1), []];
    case "shift-tab":
      return [selectLink(state, -1), []];
    case "enter":
      if (state.digits !== "") return follow(state, Number(state.digits) - 1);
      if (state.selected !== undefined) return follow(state, state.selected);
      return [state, []];
    case "backspace":
      return [{ ...state, digits: state.digits.slice(0, -1) }, []];
    case "escape":
    case "ctrl-c":
      if (state.loading) {
        return [{ ...state, loading: undefined, message: "Cancelled" }, [{ type: "cancel" }]];
      }
      if (key === "ctrl-c") return [state, [{ type: "quit" }]];
      return [{ ...state, digits: "", selected: undefined, search: undefined, message: "" }, []];
    case "o":
    case ":":
      return [openPrompt(state, { kind: "url", label: "Open", value: "" }), []];
    case "/":
      return [openPrompt(state, { kind: "search", label: "Search", value: "" }), []];
    case "n":
      return [nextMatch(state, 1), []];
    case "N":
      return [nextMatch(state, -1), []];
    case "b":
    case "left": {
      const entry = state.back.at(-1);
      if (!entry) return [{ ...state, message: "No page to go back to" }, []];
      return startFetch(state, entry.url, "back", entry.sensitive);
    }
    case "f":
    case "right": {
      const entry = state.forward.at(-1);
      if (!entry) return [{ ...state, message: "No page to go forward to" }, []];
      return startFetch(state, entry.url, "forward", entry.sensitive);
    }
    case "R": {
      const again = url ?? state.attempted;
      if (!again) return [{ ...state, message: "Nothing to reload" }, []];
      return startFetch(state, again, url ? "reload" : "push");
    }
    case "u": {
      if (url?.startsWith("about:")) {
        return [{ ...state, message: "This page of the browser has no parent" }, []];
      }
      const parent = url ? parentUrl(url) : undefined;
      if (!parent) return [{ ...state, message: "Already at the top level" }, []];
      return startFetch(state, parent, "push");
    }
    case "r": {
      if (url?.startsWith("about:")) {
        return [{ ...state, message: "This page of the browser has no capsule root" }, []];
      }
      const root = url ? rootUrl(url) : undefined;
      if (!root || root === url) return [{ ...state, message: "Already at the root" }, []];
      return startFetch(state, root, "push");
    }
    case "?":
      return startFetch(state, "about:help", "push");
    case "m":
      return startFetch(state, "about:bookmarks", "push");
    case "h":
      return startFetch(state, "about:history", "push");
    case "S":
      return startFetch(state, "about:subscriptions", "push");
    case "B": {
      if (url === "about:bookmarks") {
        const link = state.selected !== undefined ? state.layout.links[state.selected] : undefined;
        if (!link) {
          return [
            { ...state, message: "Select a bookmark with Tab, then press B to remove it" },
            [],
          ];
        }
        return [{
          ...state,
          selected: undefined,
          bookmarks: state.bookmarks.filter((b) => b !== link.url),
          message: `Bookmark removed: ${link.url}`,
        }, [{ type: "bookmark-remove", url: link.url }]];
      }
      if (!url || url.startsWith("about:")) {
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
    case "s": {
      if (!url || url.startsWith("about:")) {
        return [{ ...state, message: "Nothing to subscribe to" }, []];
      }
      return [{ ...state, message: `Subscribing to ${url}…` }, [{
        type: "subscribe",
        url,
        title: state.page?.title ?? url,
      }]];
    }
    case "q":
      return [state, [{ type: "quit" }]];
    case "ctrl-l":
      return [state, []];
    default:
      return [state, []];
  }
}

function loaded(state: BrowserState, id: number, loadedPage: Page): BrowserState {
  if (!state.loading || state.loading.id !== id) return state;
  const page = loadedPage.title === undefined && loadedPage.mediaType === "text/gemini"
    ? { ...loadedPage, title: gemtextTitle(parseGemtext(loadedPage.body)) }
    : loadedPage;
  const nav = state.loading.nav;
  const current: HistoryEntry | undefined = state.page
    ? { url: state.page.url, scroll: state.scroll }
    : undefined;
  if (current && state.page?.sensitive) current.sensitive = true;
  let back = state.back;
  let forward = state.forward;
  let scroll = 0;
  if (nav === "push") {
    if (current && current.url !== page.url) back = [...back, current];
    forward = [];
  } else if (nav === "back") {
    scroll = back.at(-1)?.scroll ?? 0;
    back = back.slice(0, -1);
    if (current) forward = [...forward, current];
  } else if (nav === "forward") {
    scroll = forward.at(-1)?.scroll ?? 0;
    forward = forward.slice(0, -1);
    if (current) back = [...back, current];
  } else {
    scroll = state.scroll;
  }
  const known = page.url.startsWith("about:") || page.sensitive || page.error
    ? state.known
    : [page.url, ...state.known.filter((u) => u !== page.url)];
  const next = relayout({
    ...state,
    page,
    back,
    forward,
    scroll,
    known,
    loading: undefined,
    progress: undefined,
    selected: undefined,
    digits: "",
    search: undefined,
    message: page.title ?? "",
  });
  return next;
}

/**
 * The next state and the effects to carry out after `input` (a key name such as `j`,
 * `enter`, `pagedown`, `shift-tab`, or an event).
 *
 * @example
 * ```ts
 * import { initialState, update } from "./model.ts";
 * const { effects } = update(initialState(), "q");
 * console.assert(effects[0].type === "quit");
 * ```
 */
export function update(
  state: BrowserState,
  input: string | BrowserEvent,
): { state: BrowserState; effects: Effect[] } {
  const event: BrowserEvent = typeof input === "string" ? { type: "key", key: input } : input;
  switch (event.type) {
    case "key": {
      const [next, effects] = state.prompt
        ? promptKey(state, event.key)
        : pageKey(state, event.key);
      return { state: next, effects };
    }
    case "resize":
      return {
        state: relayout({
          ...state,
          width: Math.max(1, event.width),
          height: Math.max(3, event.height),
        }),
        effects: [],
      };
    case "loaded":
      return { state: loaded(state, event.id, event.page), effects: [] };
    case "finished":
      if (!state.loading || state.loading.id !== event.id) return { state, effects: [] };
      return {
        state: { ...state, loading: undefined, progress: undefined, message: event.message },
        effects: [],
      };
    case "progress":
      return {
        state: { ...state, message: event.text, progress: state.loading ? event.text : undefined },
        effects: [],
      };
    case "message":
      return { state: { ...state, message: event.text }, effects: [] };
    case "ask":
      if (state.prompt) {
        // A controller question goes before a pending URL or search prompt of the user's.
        if (state.prompt.id === undefined) {
          return { state: { ...state, prompt: event.prompt }, effects: [] };
        }
        return { state: { ...state, queued: [...state.queued, event.prompt] }, effects: [] };
      }
      return { state: openPrompt(state, event.prompt), effects: [] };
    case "unask": {
      if (state.prompt?.id === event.id) return { state: closePrompt(state), effects: [] };
      return {
        state: { ...state, queued: state.queued.filter((p) => p.id !== event.id) },
        effects: [],
      };
    }
    case "bookmarks":
      return { state: { ...state, bookmarks: event.urls }, effects: [] };
    case "known":
      return { state: { ...state, known: event.urls }, effects: [] };
  }
}

/** How a screen line is drawn. */
export type LineStyle = "page" | "selected" | "status" | "prompt" | "message" | "box";

/** One line of the screen. `indent` plus the width of `plain` is at most the window width. */
export interface ScreenLine {
  /** The text without ANSI sequences, at most the window width wide. */
  plain: string;
  /** The text to draw (with ANSI styles when colour is on and the row is plain page text). */
  text: string;
  /** How to draw it. */
  style: LineStyle;
  /** Columns `[start, end)` of search matches in `plain`. */
  marks?: [number, number][];
  /** The row of the current search match (`n`/`N` move it): drawn more strongly. */
  current?: boolean;
  /** Key hints drawn dimmed at the right end of the line (prompt, message; fits the width). */
  hint?: string;
  /** Blank columns before the text (the margin of a centred page column). */
  indent?: number;
}

/** Cuts `text` to at most `width` display columns. */
export function fitWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

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

/** The status line in parts: the URL (or what is loading) and the rest. */
function statusParts(state: BrowserState): { url: string; rest: string[] } {
  const page = state.page;
  const rest: string[] = [];
  let url: string;
  if (state.loading) {
    url = `→ ${state.loading.url}`;
    if (state.progress) rest.push(state.progress);
  } else if (page) url = shownUrl(page);
  else url = "gemini browse";
  if (page && !state.loading) {
    if (page.error) rest.push(page.title ?? "error");
    else if (page.status !== undefined) rest.push(`${page.status} ${page.mediaType}`);
    const trust = trustLabel(page.trust);
    if (trust) rest.push(trust);
    if (page.identity) rest.push(`id: ${page.identity}`);
    const total = state.layout.rows.length;
    const h = contentHeight(state);
    if (total > h) {
      rest.push(`${Math.round(100 * (state.scroll + h) / total)}%`);
    }
  }
  return { url, rest };
}

/** The status line text: URL, status, trust verdict, identity, position. */
export function statusText(state: BrowserState): string {
  const { url, rest } = statusParts(state);
  return [url, ...rest].join(" │ ");
}

/**
 * The status line cut to `width` columns: a long URL loses its middle (`…`) so that the
 * status, trust verdict and identity stay visible.
 */
export function fitStatus(state: BrowserState, width: number): string {
  const full = statusText(state);
  if (displayWidth(full) <= width) return full;
  const { url, rest } = statusParts(state);
  const tail = rest.length > 0 ? " │ " + rest.join(" │ ") : "";
  const room = width - displayWidth(tail);
  if (room < 24) return fitWidth(full, width);
  const chars = [...url];
  const keep = room - 1;
  const head = Math.ceil(keep * 0.6);
  let left = fitWidth(url, head);
  let right = "";
  for (let i = chars.length - 1; i >= 0; i--) {
    const next = chars[i] + right;
    if (displayWidth(left) + 1 + displayWidth(next) > room) break;
    right = next;
  }
  if (displayWidth(left) + 1 + displayWidth(right) > room) left = fitWidth(left, room - 1);
  return fitWidth(`${left}…${right}${tail}`, width);
}

const PAGE_HINT = "? help · o open · b back · q quit";

/** Key hints at the right of the prompt line. */
function promptHint(prompt: Prompt): string {
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

/**
 * The prompt line as drawn in `width` columns, leaving one for the cursor: when the question
 * and the answer do not fit, the end of the answer (where the typing happens) stays visible
 * and the rest gives way to `…`.
 */
function shownPrompt(prompt: Prompt, width: number): string {
  const full = promptLine(prompt);
  const room = width - 1;
  if (prompt.kind === "choice" || displayWidth(full) <= room) return fitWidth(full, width);
  const answer = promptAnswer(prompt);
  const label = full.slice(0, full.length - answer.length);
  // Keep the question when at least half the line is left for the answer.
  const keepLabel = displayWidth(label) + 1 <= Math.floor(room / 2);
  const head = keepLabel ? label + "…" : "…";
  const tailRoom = room - displayWidth(head);
  if (tailRoom <= 0) return fitWidth(full, width);
  const chars = [...(keepLabel ? answer : full)];
  let tail = "";
  for (let i = chars.length - 1; i >= 0; i--) {
    if (displayWidth(chars[i] + tail) > tailRoom) break;
    tail = chars[i] + tail;
  }
  return head + tail;
}

function promptAnswer(prompt: Prompt): string {
  return prompt.kind === "secret" ? "*".repeat([...prompt.value].length) : prompt.value;
}

function promptLine(prompt: Prompt): string {
  if (prompt.kind === "choice") {
    const choices = (prompt.choices ?? []).map((c) => `[${c.key}] ${c.label}`).join("  ");
    return `${prompt.label} ${choices}`;
  }
  const shown = promptAnswer(prompt);
  // A server's question usually ends in "?" or ":"; add a colon only when it does not.
  const label = /[?:!.]$/.test(prompt.label.trim()) ? prompt.label.trim() : `${prompt.label}:`;
  return `${label} ${shown}`;
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

/**
 * The screen: `height` lines of at most `width` columns. Page rows first, then (over the
 * bottom page rows) the details box of a prompt, then the status line, then the prompt or
 * message line. The text of a `secret` prompt is never part of the output.
 *
 * @example
 * ```ts
 * import { initialState, update, view } from "./model.ts";
 * let s = initialState({ width: 30, height: 4 });
 * s = update(s, { type: "ask", prompt: { kind: "secret", id: 1, label: "Password", value: "" } }).state;
 * s = update(s, "x").state;
 * console.assert(view(s)[3].plain === "Password: *");
 * ```
 */
export function view(state: BrowserState): ScreenLine[] {
  const lines: ScreenLine[] = [];
  const h = contentHeight(state);
  const width = state.width;
  const selectedLink = state.selected !== undefined
    ? state.layout.links[state.selected]?.number
    : undefined;
  // In a window wider than the readable maximum, the page column is centred.
  const margin = Math.max(0, Math.floor((width - pageWidth(state)) / 2));
  for (let i = 0; i < h; i++) {
    const row = state.layout.rows[state.scroll + i];
    if (!row) {
      lines.push({ plain: "", text: "", style: "page" });
      continue;
    }
    const plain = fitWidth(row.plain, width - margin);
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
  const details = state.prompt?.details;
  if (details && details.length > 0) {
    // Long lines (fingerprints) wrap, continuing under their own indentation.
    const wrapped = details.flatMap((d) => {
      const lead = /^\s*/.exec(d)![0];
      const indent = lead.length + 2 < width ? (lead || "  ") : "";
      return wrapText(d, width, { indent });
    });
    const box = wrapped.slice(-h);
    const start = h - box.length;
    box.forEach((d, i) => {
      const plain = fitWidth(d, width);
      lines[start + i] = { plain, text: plain, style: "box" };
    });
  }
  const status = fitStatus(state, width);
  lines.push({ plain: status, text: status, style: "status" });
  if (state.prompt) {
    const p = shownPrompt(state.prompt, width);
    const line: ScreenLine = { plain: p, text: p, style: "prompt" };
    const hint = promptHint(state.prompt);
    if (displayWidth(p) + 3 + displayWidth(hint) <= width) line.hint = hint;
    lines.push(line);
  } else {
    const waiting = state.loading !== undefined && state.progress !== undefined &&
      state.message === state.progress;
    const text = state.digits
      ? `Follow link ${state.digits} (Enter)`
      : waiting
      ? `${state.message} (Esc cancels)`
      : state.message;
    const m = fitWidth(text, width);
    const line: ScreenLine = { plain: m, text: m, style: "message" };
    // The main keys, dimmed at the right, while nothing else needs the line's end.
    if (!state.loading && !state.digits) {
      const hint = state.search ? "n/N next/previous · Esc ends the search" : PAGE_HINT;
      if (displayWidth(m) + 3 + displayWidth(hint) <= width) line.hint = hint;
    }
    lines.push(line);
  }
  return lines;
}

/** Where the terminal cursor goes: the end of the prompt text, or `undefined` (hidden). */
export function cursorPosition(state: BrowserState): { row: number; col: number } | undefined {
  if (!state.prompt) return undefined;
  const col = Math.min(state.width - 1, displayWidth(shownPrompt(state.prompt, state.width)));
  return { row: state.height - 1, col };
}
