/**
 * What the keys of `gemini browse` do on a page: the command of each page key (from the key
 * table of `./keymap.ts`) and the link picking by digits, Tab, `t` and `y`. Pure.
 *
 * @module
 */

import { type PageCommand, pageCommand, unmodified } from "./keymap.ts";
import { anyLoading, goUp, reload, startFetch, stopOtherTabs, travel } from "./navigation.ts";
import { contentHeight } from "./panel.ts";
import { openPrompt } from "./prompts.ts";
import { ensureVisible, hscrollBy, maxScroll, nextMatch, scrollTo } from "./scroll.ts";
import type { BrowserState, Step } from "./state.ts";
import { closeTab, duplicateTab, listTabs, openInTab, switchTab } from "./tab_commands.ts";
import { publicUrl } from "./urls.ts";

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

/** Follows link `index` (0-based) of the page. */
export function follow(state: BrowserState, index: number): Step {
  const link = state.layout.links[index];
  if (!link) {
    return [
      { ...state, digits: "", pick: undefined, message: `No link ${index + 1} on this page` },
      [],
    ];
  }
  return startFetch({ ...state, selected: undefined }, { url: link.url });
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
  bookmarks: (s) => startFetch(s, { url: "about:bookmarks" }),
  history: (s) => startFetch(s, { url: "about:history" }),
  subscribe,
  subscriptions: (s) => startFetch(s, { url: "about:subscriptions" }),
  messages: (s) => startFetch(s, { url: "about:messages" }),
  help: (s) => startFetch(s, { url: "about:help" }),
  cancel: cancelKey,
  redraw: (s) => [s, []],
  quit: (s, key) => key === "ctrl-c" ? cancelKey(s, key) : [s, [{ type: "quit" }]],
};

/** The next state and effects after `key` on a page (no prompt open). */
export function pageKey(state: BrowserState, key: string): Step {
  if (/^[0-9]$/.test(key)) return digitKey(state, key);
  if (key === "backspace" && state.digits) {
    return [{ ...state, digits: state.digits.slice(0, -1) }, []];
  }
  const command = pageCommand(key) ?? pageCommand(unmodified(key));
  return command ? PAGE_COMMANDS[command](state, key) : [state, []];
}
