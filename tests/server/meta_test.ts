/**
 * The `.meta` file syntax (Agate's): media types, parameters alone, statuses, globs, and
 * every line it cannot use reported with its number.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { metaMediaType, metaRuleFor, parseMetaFile } from "../../lib/server/meta.ts";
import { parseMediaType } from "../../lib/protocol/mime.ts";

Deno.test("parseMetaFile() reads types, parameters and statuses, skipping comments and blanks", () => {
  const meta = parseMetaFile(
    [
      "# a comment",
      "",
      "index.gmi: text/gemini; lang=en",
      "*.txt:;charset=ISO-8859-1",
      "notes.md : text/markdown",
      "old.gmi: 31 /new.gmi",
      "gone.gmi: 52",
      "members.gmi: 60 Log in first",
      "  spaced.gmi  :   text/plain  ",
    ].join("\r\n"),
  );
  assertEquals(meta.errors, []);
  assertEquals(meta.rules.map((r) => [r.pattern, r.line, r.value]), [
    ["index.gmi", 3, {
      kind: "type",
      mediaType: "text/gemini; lang=en",
      parsed: parseMediaType("text/gemini; lang=en"),
    }],
    ["*.txt", 4, { kind: "params", params: { charset: "ISO-8859-1" } }],
    ["notes.md", 5, {
      kind: "type",
      mediaType: "text/markdown",
      parsed: parseMediaType("text/markdown"),
    }],
    ["old.gmi", 6, { kind: "status", status: 31, meta: "/new.gmi" }],
    ["gone.gmi", 7, { kind: "status", status: 52, meta: "" }],
    ["members.gmi", 8, { kind: "status", status: 60, meta: "Log in first" }],
    ["spaced.gmi", 9, {
      kind: "type",
      mediaType: "text/plain",
      parsed: parseMediaType("text/plain"),
    }],
  ]);
});

Deno.test("parseMetaFile() reports each line it cannot use, at its number, and never throws", () => {
  const meta = parseMetaFile(
    [
      "no colon here",
      ": text/plain",
      "a.gmi: 20 text/gemini",
      "b.gmi: 09 nope",
      "c.gmi: 70 nope",
      "d.gmi: not a type",
      "e.gmi: ;lang",
      "sub/f.gmi: text/plain",
      "g.gmi: text/plain; =x",
      "h.gmi: 30 fine",
    ].join("\n"),
  );
  assertEquals(meta.errors.map((e) => e.line), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertEquals(meta.rules.map((r) => r.pattern), ["h.gmi"]);
  assertEquals(parseMetaFile("\u0000\uFFFF:::\n").rules.length, 0);
});

Deno.test("metaRuleFor() prefers the exact name, then the first glob in file order", () => {
  const meta = parseMetaFile(
    "*.gmi: ;lang=de\nindex.gmi: ;lang=en\n??.gmi: ;lang=fr\n*: text/plain\n",
  );
  assertEquals(metaRuleFor(meta, "index.gmi")?.line, 2);
  assertEquals(metaRuleFor(meta, "ab.gmi")?.line, 1);
  assertEquals(metaRuleFor(meta, "README")?.line, 4);
  assertEquals(metaRuleFor(parseMetaFile("a.b: text/plain\n"), "aXb"), undefined, "a dot is a dot");
  assertEquals(metaRuleFor(parseMetaFile("[ab].gmi: text/plain\n"), "[ab].gmi")?.line, 1);
});

Deno.test("a .meta media type is parsed once, when the file is read: the type sent comes from that parse, and one use does not change the next", () => {
  const [rule] = parseMetaFile("a.gmi: Text/Gemini; Lang=de\n").rules;
  assertEquals(rule.value.kind === "type" && rule.value.parsed, {
    type: "text",
    subtype: "gemini",
    essence: "text/gemini",
    params: { lang: "de" },
    lang: "de",
  });
  if (rule.value.kind !== "type") throw new Error("not a type line");
  const defaults = { lang: "en", charset: "utf-8" };
  assertEquals(
    metaMediaType(rule.value, "text/plain", defaults),
    "text/gemini; lang=de; charset=utf-8",
  );
  assertEquals(metaMediaType(rule.value, "text/plain"), "text/gemini; lang=de");
  // The defaults added for the first file did not stick to the parsed value.
  assertEquals(rule.value.parsed.charset, undefined);
  assertEquals(rule.value.parsed.params, { lang: "de" });
});
