/**
 * What `gemini browse` keeps in the data directory, each file written atomically:
 * `bookmarks.gmi` (a gemtext page of links), `history.json` (visited URLs, newest first),
 * `session.json` (the last URL), `subscriptions.json` (feeds and the entries already seen)
 * and `insecure_hosts.json` (hosts allowed over an unencrypted scheme).
 *
 * @module
 */

import { readTextIfExists } from "../../files/read.ts";
import { join } from "node:path";
import { atomicWriteFile } from "../../files/atomic.ts";
import { withFileLock } from "../../files/lock.ts";
import { parseGemtext } from "../../gemtext/parse.ts";

/** One bookmark. */
export interface Bookmark {
  /** Absolute URL. */
  url: string;
  /** Title shown in the list. */
  title: string;
}

/** One visit. */
export interface Visit {
  /** Absolute URL. */
  url: string;
  /** Page title, if known. */
  title?: string;
  /** When (ISO 8601). */
  time: string;
}

/** One subscribed feed. */
export interface Subscription {
  /** Feed page URL. */
  url: string;
  /** Feed title. */
  title: string;
}

/** Subscriptions and the entry URLs already seen. */
export interface Subscriptions {
  /** The feeds. */
  feeds: Subscription[];
  /** Entry URLs seen: visited, or marked read on the subscriptions page. */
  seen: string[];
}

/** Most visits kept in the history file. */
export const MAX_HISTORY = 1000;
/** Most seen entry URLs kept. */
export const MAX_SEEN = 5000;

async function readJson<T>(path: string, fallback: T): Promise<T> {
  const text = await readTextIfExists(path);
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Formats bookmarks as the gemtext page stored in `bookmarks.gmi`. */
export function formatBookmarks(bookmarks: readonly Bookmark[]): string {
  const label = (t: string): string => t.replace(/[\r\n]+/g, " ").trim();
  return ["# Bookmarks", "", ...bookmarks.map((b) => `=> ${b.url} ${label(b.title)}`), ""]
    .join("\n");
}

/** Reads the link lines of a bookmarks page. */
export function parseBookmarks(text: string): Bookmark[] {
  const out: Bookmark[] = [];
  for (const line of parseGemtext(text)) {
    if (line.type === "link") out.push({ url: line.url, title: line.label ?? line.url });
  }
  return out;
}

/** The browser's files in one data directory. */
export class BrowseStore {
  /** The data directory. */
  readonly dir: string;

  /** A store in `dir` (created on first write). */
  constructor(dir: string) {
    this.dir = dir;
  }

  #path(name: string): string {
    return join(this.dir, name);
  }

  /** All bookmarks in file order. */
  async bookmarks(): Promise<Bookmark[]> {
    return parseBookmarks(await readTextIfExists(this.#path("bookmarks.gmi")) ?? "");
  }

  /** Adds (or retitles) a bookmark. */
  async addBookmark(bookmark: Bookmark): Promise<void> {
    const path = this.#path("bookmarks.gmi");
    await withFileLock(path, async () => {
      const list = (await this.bookmarks()).filter((b) => b.url !== bookmark.url);
      list.push(bookmark);
      await atomicWriteFile(path, formatBookmarks(list));
    });
  }

  /**
   * Moves the bookmark of `from` to `to` (a permanent redirect), keeping its title and place;
   * if `to` is bookmarked already, the bookmark of `from` goes. `true` when one moved.
   */
  async moveBookmark(from: string, to: string): Promise<boolean> {
    const path = this.#path("bookmarks.gmi");
    return await withFileLock(path, async () => {
      const list = await this.bookmarks();
      if (from === to || !list.some((b) => b.url === from)) return false;
      const taken = list.some((b) => b.url === to);
      const next = taken
        ? list.filter((b) => b.url !== from)
        : list.map((b) => b.url === from ? { ...b, url: to } : b);
      await atomicWriteFile(path, formatBookmarks(next));
      return true;
    });
  }

  /** Removes a bookmark; `true` when it existed. */
  async removeBookmark(url: string): Promise<boolean> {
    const path = this.#path("bookmarks.gmi");
    return await withFileLock(path, async () => {
      const list = await this.bookmarks();
      const kept = list.filter((b) => b.url !== url);
      if (kept.length === list.length) return false;
      await atomicWriteFile(path, formatBookmarks(kept));
      return true;
    });
  }

  /** Visits, newest first. */
  async history(): Promise<Visit[]> {
    const list = await readJson<Visit[]>(this.#path("history.json"), []);
    return Array.isArray(list) ? list.filter((v) => typeof v?.url === "string") : [];
  }

  /** Records a visit (moving an earlier visit of the same URL to the front). */
  async addVisit(visit: Visit): Promise<void> {
    const path = this.#path("history.json");
    await withFileLock(path, async () => {
      const list = (await this.history()).filter((v) => v.url !== visit.url);
      list.unshift(visit);
      await atomicWriteFile(path, JSON.stringify(list.slice(0, MAX_HISTORY), null, 1) + "\n");
    });
  }

  /** The URL open when the last session ended. */
  async lastUrl(): Promise<string | undefined> {
    const s = await readJson<{ url?: unknown }>(this.#path("session.json"), {});
    return typeof s?.url === "string" ? s.url : undefined;
  }

  /** Remembers the URL for the next session. */
  async setLastUrl(url: string): Promise<void> {
    await atomicWriteFile(this.#path("session.json"), JSON.stringify({ url }) + "\n");
  }

  /** Feeds and seen entries. */
  async subscriptions(): Promise<Subscriptions> {
    const s = await readJson<Subscriptions>(this.#path("subscriptions.json"), {
      feeds: [],
      seen: [],
    });
    return {
      feeds: Array.isArray(s?.feeds) ? s.feeds : [],
      seen: Array.isArray(s?.seen) ? s.seen : [],
    };
  }

  /** Changes the subscriptions under the file lock. */
  async updateSubscriptions(fn: (s: Subscriptions) => Subscriptions): Promise<Subscriptions> {
    const path = this.#path("subscriptions.json");
    return await withFileLock(path, async () => {
      const next = fn(await this.subscriptions());
      next.seen = next.seen.slice(-MAX_SEEN);
      await atomicWriteFile(path, JSON.stringify(next, null, 1) + "\n");
      return next;
    });
  }

  /** Hosts the user allowed over an unencrypted scheme for good (`scheme://host:port`). */
  async insecureHosts(): Promise<string[]> {
    const list = await readJson<string[]>(this.#path("insecure_hosts.json"), []);
    return Array.isArray(list) ? list : [];
  }

  /** Remembers an allowed host. */
  async addInsecureHost(key: string): Promise<void> {
    const path = this.#path("insecure_hosts.json");
    await withFileLock(path, async () => {
      const list = await this.insecureHosts();
      if (!list.includes(key)) list.push(key);
      await atomicWriteFile(path, JSON.stringify(list, null, 1) + "\n");
    });
  }
}
