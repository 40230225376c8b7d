/**
 * Benchmarks of the gemtext layer on a 1 MB document: parse (whole and streaming), stringify
 * and render. Run with `make bench` or `deno bench bench/gemtext_bench.ts`.
 */

import {
  GemtextStreamParser,
  parseGemtext,
  renderGemtext,
  stringifyGemtext,
} from "../lib/gemtext/mod.ts";

/** About 1 MB of gemtext with every line type, wide characters and long paragraphs. */
function makeDocument(bytes: number): string {
  const block = [
    "# A gemlog about small things",
    "",
    "Plain paragraphs are single long lines that the renderer has to wrap. ".repeat(6),
    "=> gemini://example.org/2024-05-01-hello.gmi 2024-05-01 - Hello world",
    "=> https://example.com/ A web link",
    "=> ../relative/path.gmi",
    "## 日本語の見出し",
    "日本語のテキストは空白がないので、表示幅で折り返す必要があります。".repeat(4),
    "* a list item with an emoji 👩‍👩‍👧‍👦 and e\u0301 combining marks",
    "> a quotation that is long enough to need wrapping on an eighty column terminal, twice over",
    "```ascii art",
    "+------------------------------------------------------------------------------------+",
    "|  preformatted text is never wrapped                                                 |",
    "```",
    "",
  ].join("\r\n") + "\r\n";
  return block.repeat(Math.ceil(bytes / new TextEncoder().encode(block).length));
}

const text = makeDocument(1_000_000);
const bytes = new TextEncoder().encode(text);
const lines = parseGemtext(text);

Deno.bench("parseGemtext: 1 MB document", { group: "parse", baseline: true }, () => {
  parseGemtext(text);
});

Deno.bench("GemtextStreamParser: 1 MB in 16 KiB byte chunks", { group: "parse" }, () => {
  const parser = new GemtextStreamParser();
  for (let i = 0; i < bytes.length; i += 16384) parser.push(bytes.subarray(i, i + 16384));
  parser.end();
});

Deno.bench("stringifyGemtext: 1 MB document", () => {
  stringifyGemtext(lines);
});

Deno.bench("renderGemtext: 1 MB document, 80 columns, no colour", { group: "render" }, () => {
  renderGemtext(lines, { width: 80, color: false, baseUrl: "gemini://example.org/gemlog/" });
});

Deno.bench("renderGemtext: 1 MB document, 80 columns, colour", { group: "render" }, () => {
  renderGemtext(lines, { width: 80, color: true, baseUrl: "gemini://example.org/gemlog/" });
});
