/**
 * The browser's own pages (`about:`): help, messages, bookmarks, history and subscriptions
 * (whose feeds are fetched to find new entries), as gemtext.
 *
 * @module
 */

import { parseGemfeed } from "../../gemtext/feed.ts";
import { ClientError } from "../../client/types.ts";
import type { Fetcher } from "./client_fetcher.ts";
import { helpGemtext } from "./help.ts";
import type { Page } from "./state.ts";
import type { BrowseStore, Subscriptions } from "./store.ts";
import { isSuccess } from "../../protocol/status.ts";

/** What the `about:` pages are made from. */
export interface AboutSources {
  /** Bookmarks, history and subscriptions. */
  store: BrowseStore;
  /** The recent messages, newest first (`about:messages`). */
  log: readonly string[];
  /** Fetches the feeds of `about:subscriptions`. */
  fetcher: Fetcher;
  /** Shows how far the feed check has come. */
  progress(text: string): void;
  /** Stops the feed check. */
  signal: AbortSignal;
}

/** `2026-12-01 07:05` in the local time zone (the stored time is UTC). */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso.slice(0, 16);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The page of recent messages (`M`), newest first. */
export function messagesGemtext(log: readonly string[]): string {
  return [
    "# Messages",
    "",
    log.length === 0 ? "No messages yet." : "The newest first, each in full:",
    "",
    ...log.flatMap((m) => [m.replace(/^(=>|#|\*|>|```)/, " $1"), ""]),
  ].join("\n");
}

/**
 * The page `url` of the browser (`about:help`, `about:messages`, `about:bookmarks`,
 * `about:history`, `about:subscriptions` and `about:subscriptions?read`, which marks the new
 * entries as read). A {@linkcode ClientError} `unsupported-scheme` for any other.
 */
export async function aboutPage(url: string, sources: AboutSources): Promise<Page> {
  const page = (title: string, body: string): Page => ({
    url,
    body,
    mediaType: "text/gemini",
    title,
  });
  switch (url.split("?")[0]) {
    case "about:help":
      return page("Help", helpGemtext());
    case "about:messages":
      return page("Messages", messagesGemtext(sources.log));
    case "about:bookmarks":
      return page("Bookmarks", await bookmarksGemtext(sources.store));
    case "about:history":
      return page("History", await historyGemtext(sources.store));
    case "about:subscriptions":
      // After "mark all as read" the page is the plain list again, so that going back
      // to it or reloading it never marks newer entries as read.
      return {
        ...page("Subscriptions", await subscriptionsGemtext(url.includes("?read"), sources)),
        url: "about:subscriptions",
      };
  }
  throw new ClientError("unsupported-scheme", `Unknown page ${url}`);
}

async function bookmarksGemtext(store: BrowseStore): Promise<string> {
  const list = await store.bookmarks();
  return [
    "# Bookmarks",
    "",
    list.length === 0 ? "No bookmarks yet: press B on a page to add it." : "",
    ...list.map((b) => `=> ${b.url} ${b.title}`),
    "",
    "To remove a bookmark, press B on its page, or select it here with Tab and press B.",
    "",
  ].join("\n");
}

async function historyGemtext(store: BrowseStore): Promise<string> {
  const list = await store.history();
  return [
    "# History",
    "",
    ...list.slice(0, 500).map((v) => `=> ${v.url} ${localTime(v.time)} ${v.title ?? v.url}`),
    "",
  ].join("\n");
}

/** An entry of a feed not seen yet. */
interface FreshEntry {
  date: string;
  title: string;
  url: string;
  feed: string;
}

/** The entries of the feeds not seen yet, newest first, and the feeds that failed. */
async function freshEntries(
  subs: Subscriptions,
  sources: AboutSources,
): Promise<{ fresh: FreshEntry[]; failures: string[] }> {
  const seen = new Set(subs.seen);
  const fresh: FreshEntry[] = [];
  const failures: string[] = [];
  for (const [i, feed] of subs.feeds.entries()) {
    if (sources.signal.aborted) break;
    sources.progress(`Checking ${feed.title} (${i + 1} of ${subs.feeds.length})…`);
    try {
      const response = await sources.fetcher(feed.url, { signal: sources.signal });
      if (!isSuccess(response.status)) {
        failures.push(`${feed.title}: ${response.status} ${response.meta}`);
        continue;
      }
      const parsed = parseGemfeed(await response.text(), response.url);
      for (const e of parsed.entries) {
        if (!seen.has(e.url)) fresh.push({ ...e, feed: feed.title });
      }
    } catch (error) {
      failures.push(`${feed.title}: ${error instanceof Error ? error.message : error}`);
    }
  }
  fresh.sort((a, b) => b.date.localeCompare(a.date));
  return { fresh, failures };
}

async function subscriptionsGemtext(markRead: boolean, sources: AboutSources): Promise<string> {
  const store = sources.store;
  const subs = await store.subscriptions();
  const lines = ["# Subscriptions", ""];
  if (subs.feeds.length === 0) {
    lines.push("No subscriptions yet: press s on a gemlog page to subscribe.", "");
    return lines.join("\n");
  }
  const { fresh, failures } = await freshEntries(subs, sources);
  if (markRead) {
    await store.updateSubscriptions((s) => ({
      feeds: s.feeds,
      seen: [...s.seen, ...fresh.map((e) => e.url)],
    }));
    lines.push("All entries marked as read.", "");
  } else if (fresh.length === 0) {
    lines.push("No new entries.", "");
  } else {
    lines.push(`## ${fresh.length} new ${fresh.length === 1 ? "entry" : "entries"}`, "");
    for (const e of fresh.slice(0, 200)) {
      lines.push(`=> ${e.url} ${e.date} ${e.feed}: ${e.title}`);
    }
    lines.push("", "=> about:subscriptions?read Mark all as read", "");
  }
  lines.push("## Feeds", "", ...subs.feeds.map((f) => `=> ${f.url} ${f.title}`), "");
  if (failures.length > 0) lines.push("## Errors", "", ...failures.map((f) => `* ${f}`), "");
  return lines.join("\n");
}
