/**
 * Writing gemtext: the inverse of the parser, in a normalized form.
 *
 * @module
 */

import type { GemtextLine } from "./types.ts";

/** Options for {@linkcode stringifyGemtext}. */
export interface StringifyGemtextOptions {
  /** The line ending written after every line. Default: `"\n"`. */
  lineEnding?: "\n" | "\r\n";
}

/**
 * Writes lines as a gemtext document, each line followed by a line ending.
 *
 * The form is normalized: links are `=> URL label`, headings, list items and quotes have one
 * space after their marker, an opening toggle is three backticks directly followed by its alt
 * text, a closing toggle is three bare backticks. Text and preformatted lines are written
 * verbatim. Hence `parseGemtext(stringifyGemtext(parseGemtext(x)))` equals `parseGemtext(x)`
 * for every string `x`, and stringifying that again gives the same text.
 *
 * Lines built by hand are written as they are: a text line whose text would read as another
 * line type (say `"# not a heading"`), or a value containing a line break, cannot be
 * expressed in gemtext and will parse differently.
 *
 * @example
 * ```ts
 * import { stringifyGemtext } from "./stringify.ts";
 * import { parseGemtext } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * const text = stringifyGemtext([
 *   { type: "heading", level: 2, text: "Links" },
 *   { type: "link", url: "gemini://example.org/", label: "Example" },
 *   { type: "list", text: "item" },
 * ]);
 * assert.equal(text, "## Links\n=> gemini://example.org/ Example\n* item\n");
 * assert.equal(stringifyGemtext(parseGemtext("=>\t/x \t Label \n>quote")), "=> /x Label\n> quote\n");
 * ```
 *
 * @param lines The document's lines.
 * @param options See {@linkcode StringifyGemtextOptions}.
 */
export function stringifyGemtext(
  lines: readonly GemtextLine[],
  options: StringifyGemtextOptions = {},
): string {
  const ending = options.lineEnding ?? "\n";
  let out = "";
  for (const line of lines) out += formatLine(line) + ending;
  return out;
}

function formatLine(line: GemtextLine): string {
  switch (line.type) {
    case "text":
    case "preformatted":
      return line.text;
    case "link":
      return line.label === undefined || line.label === ""
        ? `=> ${line.url}`
        : `=> ${line.url} ${line.label}`;
    case "heading": {
      const hashes = "#".repeat(line.level);
      return line.text === "" ? hashes : `${hashes} ${line.text}`;
    }
    case "list":
      return `* ${line.text}`;
    case "quote":
      return line.text === "" ? ">" : `> ${line.text}`;
    case "preformat-toggle":
      return "```" + (line.alt ?? "");
  }
}
