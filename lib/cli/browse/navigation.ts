/**
 * How `gemini browse` goes from page to page: fetches started (one at a time), pages shown as
 * they arrive (in the active tab or in the tab that asked), back and forward from memory,
 * reload, and up to the parent or the root. Pure.
 *
 * @module
 */

import { gemtextTitle } from "../../gemtext/links.ts";
import { parseGemtext } from "../../gemtext/parse.ts";
import { droppedPage, leaveEntry, trimCache } from "./cache.ts";
import { shownUrl } from "./layout.ts";
import { openPrompt } from "./prompts.ts";
import { relayout } from "./scroll.ts";
import type { BrowserState, Effect, HistoryEntry, Nav, Page, Step } from "./state.ts";
import { inTab, tabLoading } from "./tabs.ts";
import { parentUrl, rootUrl } from "./urls.ts";

/** Whether a fetch is in flight in any tab. */
export function anyLoading(state: BrowserState): boolean {
  return state.loading !== undefined ||
    state.tabs.some((t, i) => i !== state.tab && t.loading !== undefined);
}

/** Only one fetch runs at a time: a new one stops the fetch of any other tab. */
export function stopOtherTabs(state: BrowserState): BrowserState {
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

/** What to fetch, and how it moves through history. */
export interface FetchRequest {
  /** The URL. */
  url: string;
  /** `push` (default) adds the page after the current one; `reload` replaces it. */
  nav?: Nav;
  /** The URL carries a hidden (sensitive) answer: it is never shown or recorded. */
  sensitive?: boolean;
}

/** Starts fetching a URL in the active tab (stopping any other fetch). */
export function startFetch(state: BrowserState, request: FetchRequest): Step {
  const { url, nav = "push", sensitive = false } = request;
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

/** Shows a loaded page in the tab whose fetch `id` it answers (the active tab or another). */
export function loaded(
  state: BrowserState,
  { id, page: loadedPage }: { id: number; page: Page },
): BrowserState {
  if (!state.loading || state.loading.id !== id) {
    const index = tabLoading(state, id);
    if (index < 0) return state;
    const next = inTab(state, index, (s) => loaded(s, { id, page: loadedPage }));
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

/** Ends fetch `id` without a page (a download, a declined question) with `message`. */
export function finished(
  state: BrowserState,
  { id, message }: { id: number; message: string },
): BrowserState {
  if (state.loading?.id === id) {
    return { ...state, loading: undefined, progress: undefined, message };
  }
  const index = tabLoading(state, id);
  if (index < 0) return state;
  const next = inTab(state, index, (s) => ({ ...s, loading: undefined, progress: undefined }));
  return { ...next, message: `Tab ${index + 1}: ${message}` };
}

/** Back (`step` -1) or forward (1) through the tab's history, from memory. */
export function travel(state: BrowserState, step: -1 | 1): Step {
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
export function reload(state: BrowserState): Step {
  const page = state.page;
  const again = page?.url ?? state.attempted;
  if (!again) return [{ ...state, message: "Nothing to reload" }, []];
  if (!page) return startFetch(state, { url: again });
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
  return startFetch(state, { url: page.url, nav: "reload", sensitive: page.sensitive === true });
}

/** `u` and `r`: the parent of the page or the root of its capsule. */
export function goUp(state: BrowserState, to: "up" | "root"): Step {
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
  return startFetch(state, { url: target });
}
