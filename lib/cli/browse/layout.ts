/**
 * Lays a page out in terminal rows for `gemini browse`: gemtext through the gemtext renderer,
 * plain text wrapped line by line. Pure.
 *
 * @module
 */

import { stripControls } from "../../gemtext/controls.ts";
import { displayWidth, expandTabs, renderGemtext, wrapText } from "../../gemtext/render.ts";
import type { RenderedLink, RenderedRow } from "../../gemtext/render.ts";

/** A page the browser shows: a fetched document or one of its own (`about:` pages). */
export interface Page {
  /** The URL reached (after redirects); links resolve against it. */
  url: string;
  /** The body as text. */
  body: string;
  /** `text/gemini` renders gemtext; any other text type is shown as plain text. */
  mediaType: string;
  /** The page title, if known. */
  title?: string;
  /** Response status (absent for `about:` pages). */
  status?: number;
  /** Response META. */
  meta?: string;
  /** Trust verdict of the connection. */
  trust?: string;
  /** Name of the identity presented. */
  identity?: string;
  /** Reached by answering a sensitive (11) prompt: the query is never shown or recorded. */
  sensitive?: boolean;
  /** A page of the browser's that explains a failed fetch of `url` (never recorded). */
  error?: boolean;
}

/** Columns between tab stops in preformatted and plain text (as in a terminal). */
export const TAB_WIDTH = 8;

/**
 * The URL as shown on screen: with the query replaced by `?…` when the page was reached with
 * a sensitive answer.
 *
 * @example
 * ```ts
 * import { shownUrl } from "./layout.ts";
 * import assert from "node:assert/strict";
 * assert.equal(shownUrl({ url: "gemini://a/s?pw", sensitive: true }), "gemini://a/s?…");
 * ```
 */
export function shownUrl(page: { url: string; sensitive?: boolean }): string {
  if (!page.sensitive) return page.url;
  const q = page.url.indexOf("?");
  return q < 0 ? page.url : page.url.slice(0, q) + "?…";
}

/** A page laid out at one width. */
export interface Layout {
  /** Rows top to bottom. */
  rows: RenderedRow[];
  /** Numbered links (number = index + 1). */
  links: RenderedLink[];
  /** The width it was laid out at. */
  width: number;
  /** Display width of the widest preformatted row (0: none); wider than `width` scrolls. */
  wide: number;
}

/**
 * Lays out `page` at `width` columns.
 *
 * @example
 * ```ts
 * import { layoutPage } from "./layout.ts";
 * import assert from "node:assert/strict";
 * const layout = layoutPage(
 *   { url: "gemini://a.example/", body: "# Hi\n=> /x X\n", mediaType: "text/gemini" },
 *   40,
 *   false,
 * );
 * assert.equal(layout.links[0].url, "gemini://a.example/x");
 * ```
 */
export function layoutPage(page: Page, width: number, color: boolean): Layout {
  const w = Math.max(1, Math.floor(width));
  if (page.mediaType === "text/gemini") {
    const result = renderGemtext(page.body, {
      width: w,
      color,
      baseUrl: page.url,
      quietSchemes: ["gemini", "about"],
      tabWidth: TAB_WIDTH,
    });
    let wide = 0;
    for (const row of result.rows) {
      if (row.preformatted) wide = Math.max(wide, displayWidth(row.plain));
    }
    return { rows: result.rows, links: result.links, width: w, wide };
  }
  const rows: RenderedRow[] = [];
  page.body.replace(/\r?\n$/, "").split(/\r?\n/).forEach((line, source) => {
    const cleaned = expandTabs(stripControls(line, { tab: true }), TAB_WIDTH);
    for (const r of wrapText(cleaned, w)) rows.push({ text: r, plain: r, source });
  });
  return { rows, links: [], width: w, wide: 0 };
}
