/**
 * Property tests (fast-check) for the gemtext layer: the parser never throws, streaming with
 * random split points equals the whole parse, stringify/parse reach a fixed point, the
 * renderer never throws or leaks control characters, and parsing does linear work.
 *
 * "Work" is counted by the parser itself (`_Work`): characters its loops examine or copy,
 * including the native searches it calls, so the bound holds without timing anything.
 */

import fc from "fast-check";
import stringWidth from "string-width";
import { assert, assertEquals } from "../_helpers/assert.ts";
import {
  displayWidth,
  type GemtextLine,
  GemtextStreamParser,
  parseGemtext,
  renderGemtext,
  stringifyGemtext,
} from "../../lib/gemtext/mod.ts";
import { _parseText, _streamWork, type _Work } from "../../lib/gemtext/_core.ts";

/** Control characters other than TAB (C0, DEL, C1). */
// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

const RUNS = { numRuns: 300 };

/** Pieces that exercise every rule of the parser, glued together at random. */
const PIECES = [
  "=>",
  "```",
  "#",
  "##",
  "###",
  "####",
  "* ",
  "*",
  ">",
  " ",
  "  ",
  "\t",
  "\r",
  "\n",
  "\r\n",
  "\n\n",
  "\uFEFF",
  "é",
  "e\u0301",
  "日本",
  "👩‍👩‍👧",
  "🇯🇵",
  "\ud800",
  "\x1b[31m",
  "\x00",
  "gemini://example.org/a",
  "../b?q#f",
  "https://x/",
  "2024-01-31",
  "label text",
  "`",
  "=",
];

const gemtextish: fc.Arbitrary<string> = fc.array(
  fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })),
  { maxLength: 60 },
).map((parts) => parts.join(""));

/** Arbitrary strings: any code units, any code points, and gemtext-shaped text. */
const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ unit: fc.constantFrom("\r", "\n", " ", "\t", "`", "=", ">", "#", "*", "x") }),
  gemtextish,
);

function checkLine(line: GemtextLine): void {
  switch (line.type) {
    case "link":
      assert(line.url !== "" && !/[ \t]/.test(line.url), JSON.stringify(line));
      if (line.label !== undefined) {
        assert(line.label === line.label.replace(/^[ \t]+|[ \t\r]+$/g, ""));
      }
      break;
    case "heading":
      assert([1, 2, 3].includes(line.level));
      break;
    case "preformat-toggle":
      if (line.alt !== undefined) assert(line.alt !== "" && line.alt === line.alt.trim());
      break;
    case "text":
    case "list":
    case "quote":
    case "preformatted":
      assert(!line.text.includes("\n") && !line.text.endsWith("\r"), JSON.stringify(line));
      break;
    default: {
      const never: never = line;
      throw new TypeError(`unknown line ${JSON.stringify(never)}`);
    }
  }
}

Deno.test("property: parseGemtext() never throws and yields well-formed lines", () => {
  fc.assert(
    fc.property(anyText, (text) => {
      const lines = parseGemtext(text);
      lines.forEach(checkLine);
      const body = text.replace(/^\uFEFF+/, "");
      const newlines = body.split("\n").length - 1;
      assertEquals(lines.length, body === "" ? 0 : newlines + (body.endsWith("\n") ? 0 : 1));
    }),
    { numRuns: 1000 },
  );
});

/** Cuts `length` units into chunks at the given (unsorted, possibly repeated) points. */
function cuts(length: number, points: number[]): [number, number][] {
  const sorted = [...new Set(points.map((p) => p % (length + 1)))].sort((a, b) => a - b);
  const bounds = [0, ...sorted, length];
  return bounds.slice(1).map((end, i) => [bounds[i], end]);
}

function streamParse(chunks: (Uint8Array | string)[]): GemtextLine[] {
  const parser = new GemtextStreamParser();
  const lines: GemtextLine[] = [];
  for (const chunk of chunks) lines.push(...parser.push(chunk));
  lines.push(...parser.end());
  return lines;
}

Deno.test("property: streaming bytes split at random points equals the whole parse", () => {
  fc.assert(
    fc.property(anyText, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
      const bytes = new TextEncoder().encode(text);
      const chunks = cuts(bytes.length, points).map(([a, b]) => bytes.subarray(a, b));
      const whole = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
      assertEquals(streamParse(chunks), parseGemtext(whole));
    }),
    RUNS,
  );
});

Deno.test("property: streaming arbitrary (invalid) bytes equals decoding then parsing", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.array(fc.nat()), (bytes, points) => {
      const chunks = cuts(bytes.length, points).map(([a, b]) => bytes.subarray(a, b));
      const whole = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
      assertEquals(streamParse(chunks), parseGemtext(whole));
    }),
    RUNS,
  );
});

Deno.test("property: streaming strings split at random points equals the whole parse", () => {
  fc.assert(
    fc.property(anyText, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
      const chunks = cuts(text.length, points).map(([a, b]) => text.slice(a, b));
      assertEquals(streamParse(chunks), parseGemtext(text));
    }),
    RUNS,
  );
});

Deno.test("property: stringify(parse(x)) round-trips and is a fixed point", () => {
  fc.assert(
    fc.property(anyText, (text) => {
      const lines = parseGemtext(text);
      const normalized = stringifyGemtext(lines);
      assertEquals(parseGemtext(normalized), lines);
      assertEquals(stringifyGemtext(parseGemtext(normalized)), normalized);
      assertEquals(
        stringifyGemtext(lines, { lineEnding: "\r\n" }).replaceAll("\r\n", "\n"),
        normalized,
      );
    }),
    { numRuns: 1000 },
  );
});

Deno.test("property: the renderer never throws, never emits controls, keeps wrapped rows in width", () => {
  fc.assert(
    fc.property(anyText, fc.integer({ min: 1, max: 100 }), fc.boolean(), (text, width, color) => {
      const lines = parseGemtext(text);
      const { rows, links } = renderGemtext(lines, { width, color, baseUrl: "gemini://h/d/" });
      assertEquals(links.length, lines.filter((l) => l.type === "link").length);
      for (const row of rows) {
        assert(!CONTROLS.test(row.plain), JSON.stringify(row.plain));
        if (!color) assertEquals(row.text, row.plain);
        // Wrapped rows fit once the width leaves room for a marker and a wide character.
        if (width >= 4 && lines[row.source].type !== "preformatted") {
          assert(displayWidth(row.plain) <= width, `${width}: ${JSON.stringify(row.plain)}`);
        }
      }
    }),
    RUNS,
  );
});

Deno.test("property: displayWidth() agrees with string-width", () => {
  fc.assert(
    fc.property(anyText, (text) => {
      assertEquals(displayWidth(text), stringWidth(text));
    }),
    { numRuns: 1000 },
  );
});

/** Work per input character, for the whole-text parser. */
function workOf(text: string): number {
  const work: _Work = { steps: 0 };
  _parseText(text, work);
  return work.steps;
}

/** Work for the streaming parser fed in chunks of `size` characters. */
function streamWorkOf(text: string, size: number): number {
  const parser = new GemtextStreamParser({ maxLineLength: Number.MAX_SAFE_INTEGER });
  const work: _Work = { steps: 0 };
  _streamWork.set(parser, work);
  for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size));
  parser.end();
  return work.steps;
}

const SHAPES: [string, (n: number) => string][] = [
  ["one long text line", (n) => "x".repeat(n)],
  ["a link with endless whitespace", (n) => "=>" + " \t".repeat(n / 2)],
  ["a link with an endless URL", (n) => "=> " + "a".repeat(n)],
  ["a link with an endless label", (n) => "=> /a " + "b ".repeat(n / 2)],
  ["endless hashes", (n) => "#".repeat(n)],
  ["a heading with endless whitespace", (n) => "#" + " ".repeat(n)],
  ["endless carriage returns", (n) => "\r".repeat(n)],
  ["endless line feeds", (n) => "\n".repeat(n)],
  ["endless CRLF", (n) => "\r\n".repeat(n / 2)],
  ["endless toggles", (n) => "```\n".repeat(n / 4)],
  ["endless BOMs", (n) => "\uFEFF".repeat(n)],
  ["many short links", (n) => "=>a b\n".repeat(n / 6)],
];

Deno.test("property: parsing does linear work on adversarial documents", () => {
  for (const [name, make] of SHAPES) {
    const small = workOf(make(20_000));
    const large = workOf(make(80_000));
    assert(large <= 8 * 80_000 + 16, `${name}: ${large} steps for 80000 characters`);
    assert(large <= 4.2 * small, `${name}: work grew ${large / small}x for 4x input`);
  }
});

Deno.test("property: streaming does linear work however small the chunks", () => {
  for (const [name, make] of SHAPES) {
    const text = make(40_000);
    for (const size of [1, 7, 4096]) {
      const steps = streamWorkOf(text, size);
      assert(
        steps <= 12 * text.length + 16 + 2 * Math.ceil(text.length / size),
        `${name}/${size}: ${steps}`,
      );
    }
  }
});

Deno.test("property: parse work is linear for random documents of growing size", () => {
  fc.assert(
    fc.property(gemtextish, fc.integer({ min: 1, max: 50 }), (unit, copies) => {
      const text = unit.repeat(copies);
      assert(workOf(text) <= 8 * text.length + 16, `${workOf(text)} steps for ${text.length}`);
    }),
    RUNS,
  );
});
