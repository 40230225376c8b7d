/**
 * parseGemtext(): every line type, and the gemtext edge cases of the reference
 * (gemini-protocol.md section 10, items 54 and 62-72), each as a table row.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { type GemtextLine, parseGemtext } from "../../lib/gemtext/mod.ts";

const FENCE = "```";

function one(line: string): GemtextLine {
  const lines = parseGemtext(line);
  assertEquals(lines.length, 1, `expected one line from ${JSON.stringify(line)}`);
  return lines[0];
}

const LINE_TYPES: [string, string, GemtextLine][] = [
  ["plain text", "hello world", { type: "text", text: "hello world" }],
  ["blank line", "\n", { type: "text", text: "" }],
  ["link with label", "=> gemini://example.org/ Example", {
    type: "link",
    url: "gemini://example.org/",
    label: "Example",
  }],
  ["link without label", "=> /about", { type: "link", url: "/about" }],
  ["heading 1", "# Title", { type: "heading", level: 1, text: "Title" }],
  ["heading 2", "## Section", { type: "heading", level: 2, text: "Section" }],
  ["heading 3", "### Part", { type: "heading", level: 3, text: "Part" }],
  ["list item", "* item", { type: "list", text: "item" }],
  ["quote", "> quoted", { type: "quote", text: "quoted" }],
  ["opening toggle without alt", FENCE, { type: "preformat-toggle" }],
];

for (const [name, input, expected] of LINE_TYPES) {
  Deno.test(`parseGemtext() reads a ${name}: ${JSON.stringify(input)}`, () => {
    assertEquals(one(input), expected);
  });
}

Deno.test("parseGemtext() returns no lines for an empty document", () => {
  assertEquals(parseGemtext(""), []);
});

const EDGES: [string, string, GemtextLine][] = [
  // 62: a link without URL is not a link
  ["62 `=>` alone is text", "=>", { type: "text", text: "=>" }],
  ["62 `=>` and spaces is text", "=>   ", { type: "text", text: "=>   " }],
  ["62 `=>` and tabs is text", "=>\t\t", { type: "text", text: "=>\t\t" }],
  // 63: separators optional, tabs valid, label keeps inner spaces
  ["63 `=>` without space is a link", "=>gemini://x", { type: "link", url: "gemini://x" }],
  ["63 tabs separate URL and label", "=>\tgemini://x/\tLabel", {
    type: "link",
    url: "gemini://x/",
    label: "Label",
  }],
  ["63 label keeps inner spaces, trims ends", "=>  /a \t  two  words \t ", {
    type: "link",
    url: "/a",
    label: "two  words",
  }],
  ["link label drops trailing SP, TAB and CR", "=> /a label\r \t", {
    type: "link",
    url: "/a",
    label: "label",
  }],
  ["link URL never ends in a CR at the end of the line", "=> /a\r ", { type: "link", url: "/a" }],
  ["a lone CR is not a link URL", "=>\r ", { type: "text", text: "=>\r " }],
  ["63 link with only trailing whitespace has no label", "=> /a   ", { type: "link", url: "/a" }],
  // 64: leading whitespace makes text
  ["64 leading space before `=>` is text", " => url", { type: "text", text: " => url" }],
  ["64 leading space before a toggle is text", "  " + FENCE, { type: "text", text: "  ```" }],
  ["64 leading tab before a toggle is text", "\t" + FENCE, { type: "text", text: "\t```" }],
  // 65: alt text on the opening toggle
  ["65 opening toggle alt text", FENCE + "python", { type: "preformat-toggle", alt: "python" }],
  ["65 alt text is trimmed", FENCE + "  ascii art  ", {
    type: "preformat-toggle",
    alt: "ascii art",
  }],
  // 68: prefixes
  ["68 `*item` is text", "*item", { type: "text", text: "*item" }],
  ["68 `*\\titem` is text", "*\titem", { type: "text", text: "*\titem" }],
  ["68 `* item` is a list item", "* item", { type: "list", text: "item" }],
  ["68 `#Title` is a level-1 heading", "#Title", { type: "heading", level: 1, text: "Title" }],
  ["68 `####x` is a level-3 heading with text `#x`", "####x", {
    type: "heading",
    level: 3,
    text: "#x",
  }],
  ["68 `#` alone is an empty heading", "#", { type: "heading", level: 1, text: "" }],
  ["68 heading whitespace may be tabs", "##\t Tabbed", {
    type: "heading",
    level: 2,
    text: "Tabbed",
  }],
  ["68 `>q` is a quote", ">q", { type: "quote", text: "q" }],
  ["68 `>` alone is an empty quote", ">", { type: "quote", text: "" }],
  ["list item keeps trailing spaces", "*  item  ", { type: "list", text: "item  " }],
  // 72: an unencoded space ends the URL
  ["72 unencoded space: first word is the URL", "=> /my file.gmi", {
    type: "link",
    url: "/my",
    label: "file.gmi",
  }],
  ["link URL is never split on other whitespace", "=> /a\u00a0b", {
    type: "link",
    url: "/a\u00a0b",
  }],
];

for (const [name, input, expected] of EDGES) {
  Deno.test(`parseGemtext() edge ${name}`, () => {
    assertEquals(one(input), expected);
  });
}

Deno.test("parseGemtext() edge 65: text after a closing toggle is ignored", () => {
  assertEquals(parseGemtext(`${FENCE}sh\nls\n${FENCE} done\nafter`), [
    { type: "preformat-toggle", alt: "sh" },
    { type: "preformatted", text: "ls" },
    { type: "preformat-toggle" },
    { type: "text", text: "after" },
  ]);
});

Deno.test("parseGemtext() edge 66: inside a preformatted block every line is literal", () => {
  const body = ["=> x", "# not a heading", "* no", "> no", "  spaced\ttab  ", ""];
  assertEquals(parseGemtext([FENCE, ...body, FENCE].join("\n")), [
    { type: "preformat-toggle" },
    ...body.map((text): GemtextLine => ({ type: "preformatted", text })),
    { type: "preformat-toggle" },
  ]);
});

Deno.test("parseGemtext() edge 67: a document ending inside a block stays preformatted", () => {
  assertEquals(parseGemtext(`intro\n${FENCE}\nline 1\nline 2`), [
    { type: "text", text: "intro" },
    { type: "preformat-toggle" },
    { type: "preformatted", text: "line 1" },
    { type: "preformatted", text: "line 2" },
  ]);
});

Deno.test("parseGemtext() edge 69: runs of blank lines are kept, lines never joined", () => {
  assertEquals(parseGemtext("a\n\n\n\nb\nc\n"), [
    { type: "text", text: "a" },
    { type: "text", text: "" },
    { type: "text", text: "" },
    { type: "text", text: "" },
    { type: "text", text: "b" },
    { type: "text", text: "c" },
  ]);
});

Deno.test("parseGemtext() edge 70: CRLF and LF documents parse identically", () => {
  const lf = `# T\n=> /a A\n* i\n> q\n${FENCE}alt\n pre \n${FENCE}\n\ntext`;
  assertEquals(parseGemtext(lf.replaceAll("\n", "\r\n")), parseGemtext(lf));
  assertEquals(parseGemtext("a\r\nb\nc\r\n"), parseGemtext("a\nb\nc\n"));
});

Deno.test("parseGemtext() edge 70: a lone CR is not a line break", () => {
  assertEquals(parseGemtext("one\rtwo\n=> /a\rb label"), [
    { type: "text", text: "one\rtwo" },
    { type: "link", url: "/a\rb", label: "label" },
  ]);
});

Deno.test("parseGemtext() drops carriage returns at the end of a line, also the last", () => {
  assertEquals(parseGemtext("a\r\r\nb\r"), [
    { type: "text", text: "a" },
    { type: "text", text: "b" },
  ]);
  assertEquals(parseGemtext("\r"), [{ type: "text", text: "" }]);
});

Deno.test("parseGemtext() edge 54: a leading BOM is ignored, a later one kept", () => {
  assertEquals(parseGemtext("\uFEFF# Title\n\uFEFFx"), [
    { type: "heading", level: 1, text: "Title" },
    { type: "text", text: "\uFEFFx" },
  ]);
  assertEquals(parseGemtext("\uFEFF\uFEFF=> /a"), [{ type: "link", url: "/a" }]);
  assertEquals(parseGemtext("\uFEFF"), []);
});

Deno.test("parseGemtext() reads a final line without LF, and no empty line after a final LF", () => {
  assertEquals(parseGemtext("a\nb"), [{ type: "text", text: "a" }, { type: "text", text: "b" }]);
  assertEquals(parseGemtext("a\n"), [{ type: "text", text: "a" }]);
  assertEquals(parseGemtext("\n"), [{ type: "text", text: "" }]);
});

Deno.test("parseGemtext() omits absent optional fields rather than setting undefined", () => {
  const link = one("=> /a");
  const toggle = one(FENCE);
  assertEquals(Object.keys(link), ["type", "url"]);
  assertEquals(Object.keys(toggle), ["type"]);
});

Deno.test("parseGemtext() does not throw on lone surrogates and control characters", () => {
  assertEquals(one("\ud800=>\x00\x1b[2J"), { type: "text", text: "\ud800=>\x00\x1b[2J" });
  assertEquals(one("=> \udfff"), { type: "link", url: "\udfff" });
});
