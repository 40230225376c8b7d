/**
 * tools/check-doc-examples.ts, which `make check` runs: a doc example that uses
 * `console.assert` (it only logs in Deno) or asserts nothing is reported with its line, and
 * every example of the library passes.
 */

import { assertEquals } from "./_helpers/assert.ts";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSource, docExamples } from "../tools/check-doc-examples.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A source file with one documented function whose example is `lines`. */
function documented(lines: string[], fence = "```ts"): string {
  return [
    "/**",
    " * Adds one.",
    " *",
    " * @example",
    ` * ${fence}`,
    ...lines.map((line) => ` * ${line}`.trimEnd()),
    " * ```",
    " */",
    "export function inc(n: number): number {",
    "  return n + 1;",
    "}",
    "",
  ].join("\n");
}

Deno.test("docExamples() finds the ts blocks of doc comments with their fence line", () => {
  const source = "// ```ts not in a doc comment\n" + documented(['import { inc } from "./a.ts";']) +
    "/** ```toml\n * a = 1\n * ``` */\n";
  assertEquals(docExamples(source), [
    { line: 6, attributes: [], code: 'import { inc } from "./a.ts";' },
  ]);
});

Deno.test("checkSource() reports console.assert and an example without assertion", () => {
  const source = documented([
    'import { inc } from "./a.ts";',
    "console.assert(inc(1) === 2);",
  ]);
  assertEquals(checkSource(source), [
    { line: 5, problem: "uses console.assert, which only logs: use node:assert" },
    { line: 5, problem: "asserts nothing: check a result with node:assert" },
  ]);
});

Deno.test("checkSource() reports an example that imports node:assert but never calls it", () => {
  const source = documented([
    'import assert from "node:assert/strict";',
    'import { inc } from "./a.ts";',
    "inc(1);",
  ]);
  assertEquals(checkSource(source), [
    { line: 5, problem: "asserts nothing: check a result with node:assert" },
  ]);
});

Deno.test("checkSource() accepts node:assert (default or named imports) and throw", () => {
  for (
    const lines of [
      ['import assert from "node:assert/strict";', "assert.equal(inc(1), 2);"],
      ['import assert from "node:assert";', "assert(inc(1) === 2);"],
      ['import { deepStrictEqual as same } from "node:assert";', "same(inc(1), 2);"],
      ["if (inc(1) !== 2) throw new Error(`inc(1) is ${inc(1)}`);"],
    ]
  ) {
    assertEquals(checkSource(documented(lines)), [], lines.join("\n"));
  }
});

Deno.test("checkSource() exempts a `ts ignore` example only when it says why", () => {
  const silent = documented(['await fetch("https://example.org/");'], "```ts ignore");
  assertEquals(checkSource(silent), [
    { line: 5, problem: "an example fenced `ts ignore` says why on a `// Not run: ...` line" },
  ]);
  const explained = documented(
    ["// Not run: needs the internet.", 'await fetch("https://example.org/");'],
    "```ts ignore",
  );
  assertEquals(checkSource(explained), []);
});

Deno.test("every doc example of mod.ts and lib/ asserts with something that throws", async () => {
  const problems: string[] = [];
  async function visit(path: string): Promise<void> {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) await visit(join(path, entry.name));
    } else if (path.endsWith(".ts")) {
      for (const { line, problem } of checkSource(await Deno.readTextFile(path))) {
        problems.push(`${path}:${line}: ${problem}`);
      }
    }
  }
  await visit(join(ROOT, "mod.ts"));
  await visit(join(ROOT, "lib"));
  assertEquals(problems, []);
});
