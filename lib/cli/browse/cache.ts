/**
 * The pages `gemini browse` keeps in memory for back and forward: every history entry of
 * every tab holds the page as it was shown, until the bound (a number of pages and of
 * characters of text, over all tabs) drops the least recently left ones. Going back to a
 * dropped page shows a placeholder and never sends a request; `R` loads it again. Pure.
 *
 * @module
 */

import { shownUrl } from "./layout.ts";
import type { BrowserState, HistoryEntry, Page, Tab } from "./state.ts";

/**
 * The history entry for leaving `page`, read down to `scroll`, at time `used`: the page is
 * kept in it.
 */
export function leaveEntry(page: Page, scroll: number, used: number): HistoryEntry {
  const entry: HistoryEntry = { url: page.url, scroll, page, used };
  if (page.sensitive) entry.sensitive = true;
  return entry;
}

/**
 * The page shown for a history entry whose page was dropped from memory.
 *
 * @example
 * ```ts
 * import { droppedPage } from "./cache.ts";
 * import assert from "node:assert/strict";
 * const page = droppedPage({ url: "gemini://a.example/s?pw", scroll: 0, sensitive: true }, 100);
 * assert.equal(page.title, "Not in memory");
 * assert.ok(!page.body.includes("pw"));
 * ```
 */
export function droppedPage(entry: HistoryEntry, limit: number): Page {
  const sensitive = entry.sensitive === true;
  const page: Page = {
    url: entry.url,
    mediaType: "text/gemini",
    title: "Not in memory",
    error: true,
    body: [
      "# Not in memory",
      "",
      shownUrl({ url: entry.url, sensitive }),
      "",
      `The browser keeps the last ${limit} pages in memory, and this one was dropped to make ` +
      "room. Going back and forward never sends a request.",
      "",
      sensitive
        ? "What to do: press R to load it again. It was reached with a hidden answer, so R " +
          "asks before sending that answer again."
        : "What to do: press R to load it again.",
      "",
    ].join("\n"),
  };
  if (sensitive) page.sensitive = true;
  return page;
}

interface Slot {
  tab: number;
  list: "back" | "forward";
  index: number;
  used: number;
  chars: number;
}

function slotsOf(tab: Tab, index: number): Slot[] {
  const slots: Slot[] = [];
  for (const list of ["back", "forward"] as const) {
    tab[list].forEach((entry, i) => {
      if (entry.page) {
        slots.push({
          tab: index,
          list,
          index: i,
          used: entry.used ?? 0,
          chars: entry.page.body.length,
        });
      }
    });
  }
  return slots;
}

/**
 * `state` with the least recently left pages dropped until the pages kept in every tab's
 * history fit `state.cache` (pages and characters). The pages on screen in the tabs are not
 * counted: they are always kept.
 *
 * @example
 * ```ts
 * import { trimCache } from "./cache.ts";
 * import { initialState } from "./model.ts";
 * import assert from "node:assert/strict";
 * const page = (url: string) => ({ url, body: "x", mediaType: "text/gemini" });
 * const s = {
 *   ...initialState({ cachePages: 1 }),
 *   back: [
 *     { url: "gemini://a/1", scroll: 0, page: page("gemini://a/1"), used: 1 },
 *     { url: "gemini://a/2", scroll: 0, page: page("gemini://a/2"), used: 2 },
 *   ],
 * };
 * const trimmed = trimCache(s);
 * assert.equal(trimmed.back[0].page, undefined);
 * assert.equal(trimmed.back[1].page?.url, "gemini://a/2");
 * ```
 */
export function trimCache(state: BrowserState): BrowserState {
  const tabs: Tab[] = state.tabs.map((t, i) => i === state.tab ? state : t);
  const slots = tabs.flatMap((t, i) => slotsOf(t, i)).sort((a, b) => a.used - b.used);
  let pages = slots.length;
  let chars = slots.reduce((n, s) => n + s.chars, 0);
  const drop: Slot[] = [];
  for (const slot of slots) {
    if (pages <= state.cache.pages && chars <= state.cache.chars) break;
    drop.push(slot);
    pages--;
    chars -= slot.chars;
  }
  if (drop.length === 0) return state;
  const lists = tabs.map((t) => ({ back: [...t.back], forward: [...t.forward] }));
  for (const slot of drop) {
    const { page: _dropped, ...entry } = lists[slot.tab][slot.list][slot.index];
    lists[slot.tab][slot.list][slot.index] = entry;
  }
  return {
    ...state,
    back: lists[state.tab].back,
    forward: lists[state.tab].forward,
    tabs: state.tabs.map((t, i) => i === state.tab ? t : { ...t, ...lists[i] }),
  };
}
