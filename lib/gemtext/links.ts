/**
 * Links in gemtext documents: reference resolution per RFC 3986 section 5, link extraction and
 * the document title.
 *
 * @module
 */

import type { GemtextLine } from "./types.ts";

/** RFC 3986 Appendix B: splits any string into scheme, authority, path, query, fragment. */
const COMPONENTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

interface Components {
  scheme?: string;
  authority?: string;
  path: string;
  query?: string;
  fragment?: string;
}

function split(reference: string): Components | null {
  const m = COMPONENTS.exec(reference);
  if (!m) return null;
  if (m[1] !== undefined && !SCHEME.test(m[1])) return null;
  return { scheme: m[1], authority: m[2], path: m[3], query: m[4], fragment: m[5] };
}

/** RFC 3986 section 5.2.4, in one pass over the input (linear time). */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  let input = path;
  let i = 0;
  while (i < input.length) {
    if (input.startsWith("../", i)) i += 3;
    else if (input.startsWith("./", i)) i += 2;
    else if (input.startsWith("/./", i)) i += 2;
    else if (input.startsWith("/.", i) && i + 2 === input.length) {
      input = "/";
      i = 0;
    } else if (input.startsWith("/../", i)) {
      i += 3;
      out.pop();
    } else if (input.startsWith("/..", i) && i + 3 === input.length) {
      input = "/";
      i = 0;
      out.pop();
    } else if (
      (i + 1 === input.length && input[i] === ".") ||
      (i + 2 === input.length && input.startsWith("..", i))
    ) {
      i = input.length;
    } else {
      let end = input.indexOf("/", i + 1);
      if (end === -1) end = input.length;
      out.push(input.slice(i, end));
      i = end;
    }
  }
  return out.join("");
}

function merge(base: Components, path: string): string {
  if (base.authority !== undefined && base.path === "") return "/" + path;
  return base.path.slice(0, base.path.lastIndexOf("/") + 1) + path;
}

function recompose(c: Components): string {
  let out = `${c.scheme}:`;
  if (c.authority !== undefined) out += `//${c.authority}`;
  out += c.path;
  if (c.query !== undefined) out += `?${c.query}`;
  if (c.fragment !== undefined) out += `#${c.fragment}`;
  return out;
}

function toUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/**
 * Resolves a link reference against the document's base URL (the URL it was retrieved from,
 * after redirects) with the algorithm of RFC 3986 section 5.2: absolute references stand
 * alone, `//host/p` keeps the base scheme, `?q` keeps the base path, `#f` keeps the base path
 * and query, `.` and `..` segments are removed. Any scheme is allowed. Returns `null`, never
 * throws, when the base is not an absolute URL or the result is not a valid URL.
 *
 * @example
 * ```ts
 * import { resolveLink } from "./links.ts";
 * import assert from "node:assert/strict";
 *
 * const base = "gemini://example.org/a/b/c.gmi?x";
 * assert.equal(resolveLink(base, "../d.gmi")?.href, "gemini://example.org/a/d.gmi");
 * assert.equal(resolveLink(base, "//other.example/p")?.href, "gemini://other.example/p");
 * assert.equal(resolveLink(base, "?q")?.href, "gemini://example.org/a/b/c.gmi?q");
 * assert.equal(resolveLink(base, "https://example.com/")?.href, "https://example.com/");
 * assert.equal(resolveLink("not a base", "x"), null);
 * ```
 *
 * @param base The base URL; must be absolute.
 * @param reference The link's URL as written in the document.
 */
export function resolveLink(base: string | URL, reference: string): URL | null {
  const r = split(reference);
  if (!r) return null;
  if (r.scheme !== undefined) {
    return toUrl(recompose({ ...r, path: removeDotSegments(r.path) }));
  }
  const b = split(typeof base === "string" ? base : base.href);
  if (!b || b.scheme === undefined) return null;
  const t: Components = { scheme: b.scheme, path: "", fragment: r.fragment };
  if (r.authority !== undefined) {
    t.authority = r.authority;
    t.path = removeDotSegments(r.path);
    t.query = r.query;
  } else {
    t.authority = b.authority;
    if (r.path === "") {
      t.path = b.path;
      t.query = r.query ?? b.query;
    } else {
      t.path = removeDotSegments(r.path.startsWith("/") ? r.path : merge(b, r.path));
      t.query = r.query;
    }
  }
  return toUrl(recompose(t));
}

/** One link of a document, as returned by {@linkcode extractLinks}. */
export interface ExtractedLink {
  /** The URL as written in the link line. */
  reference: string;
  /** The URL resolved against the base, or `null` when it cannot be resolved. */
  url: URL | null;
  /** The link's label, when it has one. */
  label?: string;
  /** Index of the link line in the document. */
  source: number;
}

/**
 * Lists the link lines of a document in order, each resolved against `base` (see
 * {@linkcode resolveLink}). Without a base only absolute URLs resolve. Lines inside
 * preformatted blocks are never links.
 *
 * @example
 * ```ts
 * import { extractLinks } from "./links.ts";
 * import { parseGemtext } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * const links = extractLinks(parseGemtext("Hi\n=> /about About\n=> mailto:me@example.org"),
 *   "gemini://example.org/index.gmi");
 * assert.equal(links.length, 2);
 * assert.equal(links[0].url?.href, "gemini://example.org/about");
 * assert.equal(links[0].label, "About");
 * assert.equal(links[1].source, 2);
 * ```
 *
 * @param lines The document's lines.
 * @param base The document's URL; optional.
 */
export function extractLinks(
  lines: readonly GemtextLine[],
  base?: string | URL,
): ExtractedLink[] {
  const links: ExtractedLink[] = [];
  lines.forEach((line, source) => {
    if (line.type !== "link") return;
    const url = base === undefined ? _absoluteUrl(line.url) : resolveLink(base, line.url);
    const link: ExtractedLink = { reference: line.url, url, source };
    if (line.label !== undefined) link.label = line.label;
    links.push(link);
  });
  return links;
}

/** The reference as a URL when it is absolute (has a scheme), else `null`. */
export function _absoluteUrl(reference: string): URL | null {
  const r = split(reference);
  if (!r || r.scheme === undefined) return null;
  return toUrl(recompose({ ...r, path: removeDotSegments(r.path) }));
}

/**
 * The document's title: the text of its first heading (of any level) that has text, trimmed;
 * `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { gemtextTitle } from "./links.ts";
 * import { parseGemtext } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(gemtextTitle(parseGemtext("intro\n## My capsule \n# Later")), "My capsule");
 * assert.equal(gemtextTitle(parseGemtext("no headings")), undefined);
 * ```
 *
 * @param lines The document's lines.
 */
export function gemtextTitle(lines: readonly GemtextLine[]): string | undefined {
  for (const line of lines) {
    if (line.type === "heading" && line.text.trim() !== "") return line.text.trim();
  }
  return undefined;
}
