/**
 * Checks the doc examples (```ts blocks in JSDoc comments): each one must assert with
 * something that throws (`node:assert`, or a `throw`), never with `console.assert` (which
 * only logs in Deno, so the example could never fail). An example that cannot run (say it
 * needs the internet) is fenced as ```ts ignore and says why on a `// Not run: ...` line.
 *
 * Usage: deno run --allow-read tools/check-doc-examples.ts [FILE_OR_DIR...]
 * (default: mod.ts, cli.ts, lib/ and examples/). Prints one line per problem and exits 1 when there is any.
 *
 * @module
 */

import { join, relative } from "node:path";

/** A ```ts block of a doc comment. */
export interface DocExample {
  /** The 1-based line of the opening fence in the file. */
  line: number;
  /** The words after the language on the fence (`ignore`, `no-assert`, ...). */
  attributes: string[];
  /** The code, without the comment's leading ` * `. */
  code: string;
}

/** A problem found in an example. */
export interface DocExampleProblem {
  /** The 1-based line of the example's opening fence. */
  line: number;
  /** What is wrong. */
  problem: string;
}

const FENCE = /^\s*\*?\s?```(ts|typescript)\b(.*)$/;

/** The ```ts blocks inside the `/** ... *\/` comments of `source`. */
export function docExamples(source: string): DocExample[] {
  const found: DocExample[] = [];
  const lines = source.split("\n");
  let inDoc = false;
  let open: { line: number; attributes: string[]; code: string[] } | undefined;
  for (const [i, line] of lines.entries()) {
    if (!inDoc) {
      const start = line.indexOf("/**");
      if (start < 0 || line.includes("*/", start + 3)) continue;
      inDoc = true;
      continue;
    }
    if (line.includes("*/")) {
      inDoc = false;
      open = undefined;
      continue;
    }
    const body = line.replace(/^\s*\* ?/, "");
    if (open) {
      if (/^```\s*$/.test(body)) {
        found.push({ line: open.line, attributes: open.attributes, code: open.code.join("\n") });
        open = undefined;
      } else {
        open.code.push(body);
      }
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      open = { line: i + 1, attributes: fence[2].trim().split(/\s+/).filter(Boolean), code: [] };
    }
  }
  return found;
}

/** The names an example imports from `node:assert` or `node:assert/strict`. */
function assertNames(code: string): string[] {
  const names: string[] = [];
  const imports = /import\s+([^;]*?)\s+from\s+["']node:assert(?:\/strict)?["']/g;
  for (const [, clause] of code.matchAll(imports)) {
    const named = /\{([^}]*)\}/.exec(clause);
    if (named) {
      for (const part of named[1].split(",")) {
        const name = part.trim().split(/\s+as\s+/).pop();
        if (name) names.push(name);
      }
    }
    const head = clause.replace(/\{[^}]*\}/, "").replace(/\*\s+as\s+/, "").replace(/,/g, " ")
      .trim();
    if (head) names.push(...head.split(/\s+/));
  }
  return names;
}

/** The problems of one example: `console.assert`, or no assertion at all. */
export function checkExample(example: DocExample): string[] {
  const { code, attributes } = example;
  if (attributes.includes("ignore")) {
    return /^\s*\/\/ Not run: \S/m.test(code)
      ? []
      : ["an example fenced `ts ignore` says why on a `// Not run: ...` line"];
  }
  const problems: string[] = [];
  if (/\bconsole\.assert\s*\(/.test(code)) {
    problems.push("uses console.assert, which only logs: use node:assert");
  }
  const withoutImports = code.replace(/^\s*import\s[^;]*;/gm, "");
  const asserts = assertNames(code).some((name) =>
    new RegExp(`(^|[^\\w.])${name.replace(/\$/g, "\\$")}\\s*[.(]`).test(withoutImports)
  );
  if (!asserts && !/(^|[^\w.])throw\s/.test(withoutImports)) {
    problems.push("asserts nothing: check a result with node:assert");
  }
  return problems;
}

/** The problems of every example in `source`. */
export function checkSource(source: string): DocExampleProblem[] {
  return docExamples(source).flatMap((example) =>
    checkExample(example).map((problem) => ({ line: example.line, problem }))
  );
}

async function* typeScriptFiles(path: string): AsyncGenerator<string> {
  const info = await Deno.stat(path);
  if (info.isFile) {
    if (path.endsWith(".ts")) yield path;
    return;
  }
  const entries = [];
  for await (const entry of Deno.readDir(path)) entries.push(entry.name);
  for (const name of entries.sort()) yield* typeScriptFiles(join(path, name));
}

function writeLine(text: string): void {
  const bytes = new TextEncoder().encode(text + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

if (import.meta.main) {
  const roots = Deno.args.length > 0 ? Deno.args : ["mod.ts", "cli.ts", "lib", "examples"];
  let examples = 0;
  let problems = 0;
  for (const root of roots) {
    for await (const file of typeScriptFiles(root)) {
      const source = await Deno.readTextFile(file);
      examples += docExamples(source).length;
      for (const { line, problem } of checkSource(source)) {
        problems++;
        writeLine(`${relative(Deno.cwd(), file)}:${line}: doc example ${problem}`);
      }
    }
  }
  writeLine(`${examples} doc examples checked, ${problems} problems`);
  Deno.exit(problems > 0 ? 1 : 0);
}
