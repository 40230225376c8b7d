/**
 * URLs as `gemini browse` moves between them: what the user typed, one level up, the capsule
 * root, and a page's URL without a hidden answer. Pure.
 *
 * @module
 */

import type { Page } from "./state.ts";

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
export function publicUrl(page: Page): string {
  if (!page.sensitive) return page.url;
  const q = page.url.indexOf("?");
  return q < 0 ? page.url : page.url.slice(0, q);
}
