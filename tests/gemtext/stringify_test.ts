/** stringifyGemtext(): the normalized form, and round trips through the parser. */

import { assertEquals } from "../_helpers/assert.ts";
import { type GemtextLine, parseGemtext, stringifyGemtext } from "../../lib/gemtext/mod.ts";

const FENCE = "```";

const FORMS: [string, GemtextLine, string][] = [
  ["text verbatim", { type: "text", text: "  two  spaces " }, "  two  spaces "],
  ["blank line", { type: "text", text: "" }, ""],
  ["link", { type: "link", url: "/a", label: "A label" }, "=> /a A label"],
  ["link without label", { type: "link", url: "/a" }, "=> /a"],
  ["link with empty label", { type: "link", url: "/a", label: "" }, "=> /a"],
  ["heading 1", { type: "heading", level: 1, text: "T" }, "# T"],
  ["heading 3 with a hash text", { type: "heading", level: 3, text: "#x" }, "### #x"],
  ["empty heading", { type: "heading", level: 2, text: "" }, "##"],
  ["list item", { type: "list", text: "i" }, "* i"],
  ["empty list item", { type: "list", text: "" }, "* "],
  ["quote", { type: "quote", text: "q" }, "> q"],
  ["empty quote", { type: "quote", text: "" }, ">"],
  ["toggle with alt", { type: "preformat-toggle", alt: "py" }, FENCE + "py"],
  ["toggle", { type: "preformat-toggle" }, FENCE],
  ["preformatted verbatim", { type: "preformatted", text: "\t=> x " }, "\t=> x "],
];

for (const [name, line, expected] of FORMS) {
  Deno.test(`stringifyGemtext() writes a ${name} as ${JSON.stringify(expected)}`, () => {
    assertEquals(stringifyGemtext([line]), expected + "\n");
    // A preformatted line reads back as one only inside a block.
    const doc: GemtextLine[] = line.type === "preformatted"
      ? [{ type: "preformat-toggle" }, line]
      : [line];
    assertEquals(parseGemtext(stringifyGemtext(doc)), doc.map(normal));
  });
}

/** What the parser gives back for a line (an empty label disappears). */
function normal(line: GemtextLine): GemtextLine {
  return line.type === "link" && line.label === "" ? { type: "link", url: line.url } : line;
}

Deno.test("stringifyGemtext() of no lines is the empty string", () => {
  assertEquals(stringifyGemtext([]), "");
});

Deno.test("stringifyGemtext() can write CRLF line endings", () => {
  assertEquals(
    stringifyGemtext(parseGemtext("# a\nb"), { lineEnding: "\r\n" }),
    "# a\r\nb\r\n",
  );
});

Deno.test("stringifyGemtext() normalizes a messy document, and the result is a fixed point", () => {
  const messy =
    "\uFEFF#Title\r\n=>\t/a\t Label  \r\n*   item\n>quote\n```  alt \nraw  \n``` end\n" +
    "####deep\n=>\nlast";
  const normalized = "# Title\n=> /a Label\n* item\n> quote\n```alt\nraw  \n```\n### #deep\n=>\n" +
    "last\n";
  assertEquals(stringifyGemtext(parseGemtext(messy)), normalized);
  assertEquals(stringifyGemtext(parseGemtext(normalized)), normalized);
  assertEquals(parseGemtext(normalized), parseGemtext(messy));
});

Deno.test("stringifyGemtext() keeps an unterminated preformatted block unterminated", () => {
  assertEquals(stringifyGemtext(parseGemtext("```\ncode")), "```\ncode\n");
});
