/** renderGemtext(), wrapText(), displayWidth() and shouldUseColor(). */

import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  displayWidth,
  expandTabs,
  parseGemtext,
  RENDER_STYLES,
  renderGemtext,
  renderGemtextToString,
  shouldUseColor,
  wrapText,
} from "../../lib/gemtext/mod.ts";

/** Control characters other than TAB (C0, DEL, C1). */
// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

const FENCE = "```";
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function plainRows(text: string, width = 40, baseUrl?: string): string[] {
  return renderGemtext(parseGemtext(text), { width, color: false, baseUrl }).rows.map((r) =>
    r.text
  );
}

Deno.test("displayWidth() counts CJK as 2, emoji as 2, combining marks as 0", () => {
  assertEquals(displayWidth("abc"), 3);
  assertEquals(displayWidth("漢字かな"), 8);
  assertEquals(displayWidth("한국어"), 6);
  assertEquals(displayWidth("👍"), 2);
  assertEquals(displayWidth("👩‍👩‍👧‍👦"), 2);
  assertEquals(displayWidth("🇯🇵"), 2);
  assertEquals(displayWidth("e\u0301"), 1);
  assertEquals(displayWidth("\x1b[1mbold\x1b[22m"), 4);
  assertEquals(displayWidth(""), 0);
});

Deno.test("renderGemtext() wraps CJK text to width 40 by display width, filling rows", () => {
  const text = "日本語".repeat(10); // 30 characters, 60 columns, no spaces
  const rows = plainRows(text);
  assertEquals(rows, ["日本語".repeat(6) + "日本", "語" + "日本語".repeat(3)]);
  assertEquals(rows.map(displayWidth), [40, 20]);
});

Deno.test("renderGemtext() never lets a wide character straddle the edge", () => {
  const rows = plainRows("a" + "漢".repeat(25)); // 1 + 50 columns: 39 fit on the first row
  assertEquals(rows.map(displayWidth), [39, 12]);
});

Deno.test("renderGemtext() keeps emoji sequences whole and counts them as 2 columns", () => {
  const family = "👩‍👩‍👧‍👦";
  const rows = plainRows(family.repeat(25));
  assertEquals(rows, [family.repeat(20), family.repeat(5)]);
  for (const row of plainRows(`flags 🇯🇵🇫🇷 and ${"👍🏽".repeat(30)} done`)) {
    assert(displayWidth(row) <= 40, row);
  }
});

Deno.test("renderGemtext() counts combining marks as zero width", () => {
  const decomposed = "e\u0301".repeat(40); // 40 columns, 80 code units
  assertEquals(plainRows(decomposed), [decomposed]);
  assertEquals(plainRows(decomposed + "e\u0301"), [decomposed, "e\u0301"]);
});

Deno.test("renderGemtext() wraps at spaces and hard-breaks a word longer than the width", () => {
  assertEquals(plainRows("word ".repeat(9) + "x".repeat(45) + " end"), [
    "word word word word word word word word",
    "word " + "x".repeat(35),
    "x".repeat(10) + " end",
  ]);
});

Deno.test("renderGemtext() keeps blank lines and never joins short lines", () => {
  assertEquals(plainRows("a\n\n\nb\nc"), ["a", "", "", "b", "c"]);
});

Deno.test("renderGemtext() gives list items a hanging indent and quotes a marker per row", () => {
  assertEquals(plainRows("* one two three four five", 12), ["* one two", "  three four", "  five"]);
  assertEquals(plainRows("> one two three four five", 12), ["> one two", "> three four", "> five"]);
});

Deno.test("renderGemtext() keeps heading markers and indents wrapped heading rows", () => {
  assertEquals(plainRows("## A heading that wraps", 12), ["## A heading", "   that", "   wraps"]);
});

Deno.test("renderGemtext() numbers links, falls back to the URL, marks non-gemini schemes", () => {
  const doc = [
    "=> /a About",
    "=> gemini://example.org/b",
    "=> https://example.com/ The web",
    "=> mailto:me@example.org",
    "=> //other.example/ Same scheme as the page",
  ].join("\n");
  const { rows, links } = renderGemtext(parseGemtext(doc), {
    width: 80,
    color: false,
    baseUrl: "gemini://example.org/dir/",
    linkNumberStart: 7,
  });
  assertEquals(rows.map((r) => r.text), [
    "[7] About",
    "[8] gemini://example.org/b",
    "[9] The web (https)",
    "[10] mailto:me@example.org (mailto)",
    "[11] Same scheme as the page",
  ]);
  assertEquals(rows.map((r) => r.link), [7, 8, 9, 10, 11]);
  assertEquals(links[0], {
    number: 7,
    url: "gemini://example.org/a",
    label: "About",
    row: 0,
    source: 0,
  });
  assertEquals(links.map((l) => l.url), [
    "gemini://example.org/a",
    "gemini://example.org/b",
    "https://example.com/",
    "mailto:me@example.org",
    "gemini://other.example/",
  ]);
});

Deno.test("renderGemtext() without a base keeps relative link URLs as written", () => {
  const { rows, links } = renderGemtext(parseGemtext("=> ../x\n=> gopher://h/"), {
    width: 40,
    color: false,
  });
  assertEquals(rows.map((r) => r.text), ["[1] ../x", "[2] gopher://h/ (gopher)"]);
  assertEquals(links.map((l) => l.url), ["../x", "gopher://h/"]);
});

Deno.test("renderGemtext() wraps a long link label under its text and tags every row", () => {
  const { rows, links } = renderGemtext(
    parseGemtext("intro\n=> https://e.example/ a label long enough to wrap twice"),
    { width: 20, color: false },
  );
  assertEquals(rows.map((r) => r.text), [
    "intro",
    "[1] a label long",
    "    enough to wrap",
    "    twice (https)",
  ]);
  assertEquals(rows.map((r) => r.link), [undefined, 1, 1, 1]);
  assertEquals(links[0].row, 1);
});

Deno.test("renderGemtext() never wraps preformatted lines; they stay long and unchanged", () => {
  const wide = "+" + "-".repeat(70) + "+";
  const rows = plainRows(`${FENCE}\n${wide}\n\tindented  spaces \n${FENCE}`, 40);
  assertEquals(rows, [wide, "\tindented  spaces "]);
});

Deno.test("renderGemtext() with tabWidth expands tabs in preformatted rows to tab stops; rows say they are preformatted", () => {
  const doc = `${FENCE}\na\tb\n12345678\tc\n日\tx\n${FENCE}\ntext\tline`;
  const { rows } = renderGemtext(parseGemtext(doc), { width: 40, color: false, tabWidth: 8 });
  assertEquals(rows.map((r) => r.plain), [
    "a       b",
    "12345678        c",
    "日      x",
    "text    line",
  ]);
  assertEquals(rows.map((r) => r.preformatted), [true, true, true, undefined]);
  // Without tabWidth the tabs of preformatted rows stay (the documented default).
  assertEquals(renderGemtext(parseGemtext(doc), { width: 40, color: false }).rows[0].plain, "a\tb");
});

Deno.test("expandTabs() reaches the next stop from the display column, and rejects a bad width", () => {
  assertEquals(expandTabs("", 8), "");
  assertEquals(expandTabs("\t", 8), " ".repeat(8));
  assertEquals(expandTabs("1234567\tx", 8), "1234567 x");
  assertEquals(expandTabs("\t\t", 4), " ".repeat(8));
  assertEquals(expandTabs("e\u0301\tx", 4), "e\u0301   x");
  assertEquals(expandTabs("a\tb", 1), "a b");
  for (const bad of [0, -1, 1.5, NaN]) assertThrows(() => expandTabs("a\tb", bad), RangeError);
});

Deno.test("renderGemtext() shows alt text only as one quiet caption row", () => {
  const doc = `${FENCE} A diagram of the stack\nart\n${FENCE} closing text\n${FENCE}\nx\n${FENCE}`;
  assertEquals(plainRows(doc), ["A diagram of the stack", "art", "x"]);
  const coloured = renderGemtext(parseGemtext(doc), { width: 40, color: true }).rows;
  assertEquals(coloured[0].text, "\x1b[2mA diagram of the stack\x1b[22m");
  assertEquals(coloured[0].plain, "A diagram of the stack");
  assertEquals(plainRows(`${FENCE}${"alt ".repeat(20)}`, 12), ["alt alt alt…"]);
});

Deno.test("renderGemtext() emits no ANSI sequence when colour is off", () => {
  const doc = `# H1\n## H2\n### H3\n=> /a link\n* item\n> quote\n${FENCE}alt\npre\n${FENCE}\ntext`;
  const { rows } = renderGemtext(parseGemtext(doc), { width: 40, color: false });
  for (const row of rows) {
    assert(!row.text.includes("\x1b"), JSON.stringify(row.text));
    assertEquals(row.text, row.plain);
  }
  assert(!renderGemtextToString(doc, { width: 40, color: false }).includes("\x1b"));
});

Deno.test("renderGemtext() styles headings, links, lists, quotes with colour on", () => {
  const doc = "# H1\n## H2\n### H3\n=> /a link\n* item\n> quote\ntext";
  const { rows } = renderGemtext(parseGemtext(doc), { width: 40, color: true });
  assertEquals(rows.map((r) => r.text), [
    "\x1b[1;35m# H1\x1b[22;39m",
    "\x1b[1;36m## H2\x1b[22;39m",
    "\x1b[1m### H3\x1b[22m",
    "\x1b[33m[1]\x1b[39m \x1b[34mlink\x1b[39m",
    "\x1b[32m*\x1b[39m item",
    "\x1b[3m> quote\x1b[23m",
    "text",
  ]);
  for (const row of rows) assertEquals(row.text.replace(ANSI, ""), row.plain);
});

Deno.test("renderGemtext() accepts style overrides", () => {
  const { rows } = renderGemtext(parseGemtext("# H"), {
    width: 40,
    color: true,
    styles: { heading1: { open: "<", close: ">" } },
  });
  assertEquals(rows[0].text, "<# H>");
  assertEquals(RENDER_STYLES.heading1.open, "\x1b[1;35m"); // the defaults are untouched
});

Deno.test("renderGemtext() regression: control characters from the document never reach the terminal", () => {
  const doc =
    `evil \x1b[2J\x1b]0;title\x07 text\n=> /a \x1b[31mred\n${FENCE}\npre\x1b[5mblink\x9b\n${FENCE}`;
  for (const color of [false, true]) {
    const { rows } = renderGemtext(parseGemtext(doc), { width: 80, color });
    for (const row of rows) {
      assert(!CONTROLS.test(row.plain), JSON.stringify(row.plain));
    }
  }
  assertEquals(plainRows(doc, 80)[0], "evil \uFFFD[2J\uFFFD]0;title\uFFFD text");
  const { links } = renderGemtext(parseGemtext(doc), { width: 80, color: false });
  assertEquals(links[0].label, "\uFFFD[31mred");
});

Deno.test("renderGemtext() records the source line of every row", () => {
  const { rows } = renderGemtext(parseGemtext("a b c\n\n```x\ny\n```\n* z"), {
    width: 3,
    color: false,
  });
  assertEquals(rows.map((r) => [r.plain, r.source]), [
    ["a b", 0],
    ["c", 0],
    ["", 1],
    ["x", 2],
    ["y", 3],
    ["* z", 5],
  ]);
});

Deno.test("renderGemtext() expands tabs in wrapped lines", () => {
  assertEquals(plainRows("a\tb"), ["a    b"]);
});

Deno.test("renderGemtext() accepts text and renders it like the parsed document", () => {
  const doc = "# T\n=> /x X";
  assertEquals(
    renderGemtext(doc, { width: 40, color: true }),
    renderGemtext(parseGemtext(doc), { width: 40, color: true }),
  );
});

Deno.test("renderGemtextToString() ends every row with a line feed", () => {
  assertEquals(renderGemtextToString("a\n\nb c", { width: 1, color: false }), "a\n\nb\nc\n");
  assertEquals(renderGemtextToString("", { width: 10, color: false }), "");
});

Deno.test("wrapText() keeps leading spaces when the first word fits after them", () => {
  assertEquals(wrapText("    indented words here", 12), ["    indented", "words here"]);
  assertEquals(wrapText("      long_word!", 10), ["long_word!"]);
});

Deno.test("wrapText() drops an indent that leaves no room, and keeps making progress", () => {
  assertEquals(wrapText("aa bb cc", 3, { indent: "    " }), ["aa", "bb", "cc"]);
  assertEquals(wrapText("漢漢", 1), ["漢", "漢"]);
});

Deno.test("wrapText() with Infinity does not wrap; a bad width is a RangeError", () => {
  assertEquals(wrapText("x ".repeat(500), Infinity), ["x ".repeat(500)]);
  for (const bad of [0, -3, NaN, 0.5]) {
    assertThrows(() => wrapText("x", bad), RangeError, "Width");
    assertThrows(() => renderGemtext([], { width: bad, color: false }), RangeError, "Width");
  }
});

Deno.test("wrapText() rows never exceed the width (except single wide graphemes)", () => {
  const text =
    "The quick 茶色の狐 jumps over the lazy 🐕‍🦺 dog, e\u0301e\u0301 supercalifragilistic.";
  for (let width = 2; width <= 30; width++) {
    const rows = wrapText(text, width, { indent: "  " });
    for (const row of rows) assert(displayWidth(row) <= width, `${width}: ${row}`);
    assertEquals(rows.join("").replaceAll(" ", ""), text.replaceAll(" ", ""));
  }
});

Deno.test("shouldUseColor() follows NO_COLOR and the TTY state", () => {
  assertEquals(shouldUseColor({ isTty: true }), true);
  assertEquals(shouldUseColor({ isTty: true, NO_COLOR: "" }), true); // set but empty: ignored
  assertEquals(shouldUseColor({ isTty: true, NO_COLOR: "1" }), false);
  assertEquals(shouldUseColor({ isTty: false }), false);
  assertEquals(shouldUseColor({ isTty: false, NO_COLOR: "1" }), false);
});

Deno.test("renderGemtext() edge 70: CRLF and LF documents render identically", () => {
  const lf = "# Title\n\nA paragraph long enough to wrap at twenty.\n=> /a A\n```alt\n\tpre\n```\n";
  for (const color of [false, true]) {
    assertEquals(
      renderGemtextToString(lf.replaceAll("\n", "\r\n"), { width: 20, color }),
      renderGemtextToString(lf, { width: 20, color }),
    );
  }
});

Deno.test("renderGemtext(): quietSchemes leaves the scheme marker off the schemes it names", () => {
  const doc = "=> about:bookmarks Bookmarks\n=> https://example.org/ Web\n";
  const plain = renderGemtext(doc, { width: 80, color: false }).rows.map((r) => r.plain);
  assertEquals(plain, ["[1] Bookmarks (about)", "[2] Web (https)"]);
  const quiet = renderGemtext(doc, { width: 80, color: false, quietSchemes: ["gemini", "about"] });
  assertEquals(quiet.rows.map((r) => r.plain), ["[1] Bookmarks", "[2] Web (https)"]);
});

Deno.test("wrapText(): leading spaces give way when the first grapheme of a long word would overflow", () => {
  // Found by the renderer property test (seed 17820269): a tab, then a flag emoji, width 4.
  const rows = renderGemtext("\t🇯🇵!=>", { width: 4, color: false }).rows.map((r) => r.plain);
  for (const row of rows) assert(displayWidth(row) <= 4, JSON.stringify(row));
  assertEquals(rows.join(""), "🇯🇵!=>");
  for (const row of wrapText("   abcdef", 4)) assert(displayWidth(row) <= 4, row);
});
