/**
 * Gemini feeds ("gemfeeds"): the subscription convention that turns an ordinary gemtext page
 * into a feed. The page's first level-1 heading is the feed title; every link line whose label
 * starts with an ISO 8601 date (`YYYY-MM-DD`) is an entry, the rest of the label its title.
 *
 * @module
 */

import { resolveLink } from "./links.ts";
import { parseGemtext } from "./parse.ts";
import type { GemtextLine } from "./types.ts";

/** One entry of a {@linkcode Gemfeed}. */
export interface GemfeedEntry {
  /** The date from the label, `YYYY-MM-DD`, a real calendar date. */
  date: string;
  /** The label after the date and an optional separator (`-`, `–`, `—`, `:` or `|`); the URL when empty. */
  title: string;
  /** The entry's absolute URL (resolved against the feed's URL). */
  url: string;
}

/** A feed read by {@linkcode parseGemfeed}. */
export interface Gemfeed {
  /** The text of the page's first level-1 heading, when there is one. */
  title?: string;
  /** The entries in page order. */
  entries: GemfeedEntry[];
}

const DATED = /^(\d{4})-(\d{2})-(\d{2})(?!\d)/;
const SEPARATOR = /^[ \t]*(?:[-–—:|][ \t]+|[-–—:|]$)?/;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/**
 * Reads a gemtext page as a feed. Link lines without a leading valid date, and links that
 * cannot be resolved, are not entries. Never throws.
 *
 * @example
 * ```ts
 * import { parseGemfeed } from "./feed.ts";
 * import assert from "node:assert/strict";
 *
 * const feed = parseGemfeed(
 *   "# My gemlog\n=> 2024-05-01-hello.gmi 2024-05-01 - Hello world\n=> /about About me\n",
 *   "gemini://example.org/gemlog/",
 * );
 * assert.equal(feed.title, "My gemlog");
 * assert.deepEqual(feed.entries, [{
 *   date: "2024-05-01",
 *   title: "Hello world",
 *   url: "gemini://example.org/gemlog/2024-05-01-hello.gmi",
 * }]);
 * ```
 *
 * @param text The page as text, or already parsed.
 * @param base The page's URL, to resolve relative entry links.
 */
export function parseGemfeed(text: string | readonly GemtextLine[], base: string | URL): Gemfeed {
  const lines = typeof text === "string" ? parseGemtext(text) : text;
  const feed: Gemfeed = { entries: [] };
  for (const line of lines) {
    if (line.type === "heading" && line.level === 1 && feed.title === undefined) {
      const title = line.text.trim();
      if (title !== "") feed.title = title;
    }
    if (line.type !== "link" || line.label === undefined) continue;
    const m = DATED.exec(line.label);
    if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) continue;
    const url = resolveLink(base, line.url);
    if (!url) continue;
    const rest = line.label.slice(m[0].length);
    const title = rest.slice(SEPARATOR.exec(rest)![0].length).trim();
    feed.entries.push({ date: m[0], title: title === "" ? url.href : title, url: url.href });
  }
  return feed;
}
