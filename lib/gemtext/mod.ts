/**
 * Gemtext (`text/gemini`), purely: a parser to a closed union of line types that never throws,
 * a streaming parser for bodies that arrive in chunks, a normalizing writer, RFC 3986 link
 * resolution, gemfeed reading, and a terminal renderer. No I/O.
 *
 * @example
 * ```ts
 * import { parseGemtext, renderGemtextToString, stringifyGemtext } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const lines = parseGemtext("#Welcome\n=>gemini://example.org/ Home");
 * assert.equal(stringifyGemtext(lines), "# Welcome\n=> gemini://example.org/ Home\n");
 * assert.equal(renderGemtextToString(lines, { width: 80, color: false }), "# Welcome\n[1] Home\n");
 * ```
 *
 * @module
 */

export type {
  GemtextDocument,
  GemtextHeadingLine,
  GemtextLine,
  GemtextLineType,
  GemtextLinkLine,
  GemtextListLine,
  GemtextPreformattedLine,
  GemtextPreformatToggleLine,
  GemtextQuoteLine,
  GemtextTextLine,
} from "./types.ts";
export { parseGemtext } from "./parse.ts";
export {
  DEFAULT_MAX_LINE_LENGTH,
  GemtextStreamParser,
  type GemtextStreamParserOptions,
  parseGemtextStream,
} from "./stream.ts";
export { stringifyGemtext, type StringifyGemtextOptions } from "./stringify.ts";
export { type ExtractedLink, extractLinks, gemtextTitle, resolveLink } from "./links.ts";
export { type Gemfeed, type GemfeedEntry, parseGemfeed } from "./feed.ts";
export {
  displayWidth,
  expandTabs,
  RENDER_STYLES,
  type RenderedLink,
  type RenderedRow,
  renderGemtext,
  renderGemtextToString,
  type RenderOptions,
  type RenderResult,
  type RenderStyle,
  type RenderStyleName,
  type RenderStyles,
  shouldUseColor,
  type WrapOptions,
  wrapText,
} from "./render.ts";
