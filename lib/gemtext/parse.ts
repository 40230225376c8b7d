/**
 * The gemtext parser for a whole document held in memory.
 *
 * @module
 */

import { _parseText } from "./_core.ts";
import type { GemtextLine } from "./types.ts";

/**
 * Parses a gemtext (`text/gemini`) document into its lines. Never throws: every string is a
 * valid document.
 *
 * Rules, from the gemtext specification: lines end in LF or CRLF (a lone CR inside a line is
 * content, not a line break, and carriage returns at the end of a line are dropped); a final
 * line without LF is still a line, and a trailing LF does not start an empty line; byte order
 * marks at the very start are ignored. A line's type comes from its first characters only:
 * `=>` link (SP/TAB separators optional, a link with no URL is a text line), three backticks
 * toggle preformatted mode (text after an opening toggle is alt text, after a closing one it
 * is ignored), `#`/`##`/`###` heading (whitespace after the hashes optional; `####x` is a
 * level-3 heading with text `#x`), `* ` list item, `>` quote, anything else text. Inside a
 * preformatted block every line but a toggle is kept verbatim. A document that ends inside a
 * block simply ends.
 *
 * @example Lines of each type
 * ```ts
 * import { parseGemtext } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * const fence = "`".repeat(3);
 * const text = `# Hello\r\n=>gemini://example.org/ Example\n${fence}sh\n=> x\n${fence}\n`;
 * const lines = parseGemtext(text);
 * assert(lines.length === 5);
 * assert(lines[0].type === "heading" && lines[0].text === "Hello");
 * assert(lines[1].type === "link" && lines[1].label === "Example");
 * assert(lines[2].type === "preformat-toggle" && lines[2].alt === "sh");
 * assert(lines[3].type === "preformatted" && lines[3].text === "=> x");
 * ```
 *
 * @param text The document, already decoded to a string.
 * @returns One `GemtextLine` per source line.
 */
export function parseGemtext(text: string): GemtextLine[] {
  return _parseText(text);
}
