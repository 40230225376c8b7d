/** GemtextStreamParser and parseGemtextStream(): chunks split anywhere give the whole parse. */

import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  type GemtextLine,
  GemtextStreamParser,
  parseGemtext,
  parseGemtextStream,
} from "../../lib/gemtext/mod.ts";

const SAMPLE =
  "\uFEFF# Café ☕\r\n=>\tgemini://例え.jp/ 日本語\r\n```txt\r\n=> literal\r\n```\r\n" +
  "> 👩‍👩‍👧 quote\n* item\nlone\rCR\nlast line";

function parseInChunks(chunks: (Uint8Array | string)[]): GemtextLine[] {
  const parser = new GemtextStreamParser();
  const out: GemtextLine[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

Deno.test("GemtextStreamParser matches parseGemtext() for every single split point", () => {
  const bytes = new TextEncoder().encode(SAMPLE);
  const expected = parseGemtext(SAMPLE);
  for (let i = 0; i <= bytes.length; i++) {
    assertEquals(parseInChunks([bytes.subarray(0, i), bytes.subarray(i)]), expected, `split ${i}`);
  }
});

Deno.test("GemtextStreamParser matches parseGemtext() with one-byte chunks", () => {
  const bytes = new TextEncoder().encode(SAMPLE);
  const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  assertEquals(parseInChunks(chunks), parseGemtext(SAMPLE));
});

Deno.test("GemtextStreamParser matches parseGemtext() with one-character string chunks", () => {
  assertEquals(parseInChunks([...SAMPLE]), parseGemtext(SAMPLE));
});

Deno.test("GemtextStreamParser: a CR at the end of a chunk waits for the next chunk", () => {
  const parser = new GemtextStreamParser();
  assertEquals(parser.push("a\r"), []);
  assertEquals(parser.push("\nb"), [{ type: "text", text: "a" }]);
  assertEquals(parser.end(), [{ type: "text", text: "b" }]);
});

Deno.test("GemtextStreamParser: a BOM split over chunks is still ignored", () => {
  const bom = new TextEncoder().encode("\uFEFF# T");
  assertEquals(parseInChunks([bom.subarray(0, 1), bom.subarray(1, 2), bom.subarray(2)]), [
    { type: "heading", level: 1, text: "T" },
  ]);
  assertEquals(parseInChunks(["\uFEFF", "", "\uFEFFx"]), [{ type: "text", text: "x" }]);
});

Deno.test("GemtextStreamParser: invalid UTF-8 becomes U+FFFD, also at the end", () => {
  assertEquals(parseInChunks([new Uint8Array([0x61, 0xff, 0x0a, 0xe6, 0x97])]), [
    { type: "text", text: "a\uFFFD" },
    { type: "text", text: "\uFFFD" },
  ]);
});

Deno.test("GemtextStreamParser: a string after an open UTF-8 sequence completes it as U+FFFD", () => {
  assertEquals(parseInChunks([new Uint8Array([0xe6]), "x"]), [{ type: "text", text: "\uFFFDx" }]);
});

Deno.test("GemtextStreamParser: lines are returned as soon as they are complete", () => {
  const parser = new GemtextStreamParser();
  assertEquals(parser.push("# one\n## tw"), [{ type: "heading", level: 1, text: "one" }]);
  assertEquals(parser.push("o"), []);
  assertEquals(parser.push("\n"), [{ type: "heading", level: 2, text: "two" }]);
  assertEquals(parser.end(), []);
});

Deno.test("GemtextStreamParser: end() resets the parser for a new document", () => {
  const parser = new GemtextStreamParser();
  parser.push("```\nopen block");
  assertEquals(parser.end(), [{ type: "preformatted", text: "open block" }]);
  assertEquals(parser.push("\uFEFF=> /a\n"), [{ type: "link", url: "/a" }]);
});

Deno.test("GemtextStreamParser: maxLineLength caps one endless line, later lines are intact", () => {
  const parser = new GemtextStreamParser({ maxLineLength: 8 });
  const out: GemtextLine[] = [];
  for (let i = 0; i < 1000; i++) out.push(...parser.push("=> /abcdef ".repeat(10)));
  out.push(...parser.push("\n* next\n"), ...parser.end());
  assertEquals(out, [
    { type: "link", url: "/abcd" }, // the first 8 characters: "=> /abcd"
    { type: "list", text: "next" },
  ]);
});

Deno.test("GemtextStreamParser rejects a maxLineLength that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assertThrows(
      () => new GemtextStreamParser({ maxLineLength: bad }),
      RangeError,
      "maxLineLength",
    );
  }
});

Deno.test("parseGemtextStream() reads a ReadableStream of bytes", async () => {
  const bytes = new TextEncoder().encode(SAMPLE);
  const stream = ReadableStream.from([
    bytes.subarray(0, 7),
    bytes.subarray(7, 30),
    bytes.subarray(30),
  ]);
  const lines: GemtextLine[] = [];
  for await (const line of parseGemtextStream(stream)) lines.push(line);
  assertEquals(lines, parseGemtext(SAMPLE));
});

Deno.test("parseGemtextStream() reads an async iterable", async () => {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode("> a\n");
    yield new TextEncoder().encode("> b");
  }
  const lines: GemtextLine[] = [];
  for await (const line of parseGemtextStream(chunks())) lines.push(line);
  assertEquals(lines, [{ type: "quote", text: "a" }, { type: "quote", text: "b" }]);
});
