/**
 * Library messages do not name command-line flags: lib/server and lib/tls are used without
 * the CLI, so a hint such as "use --cert" belongs in lib/cli, which maps errors to hints.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Files whose strings may name flags: the built-in capsule's pages document the CLI for
 * the people who read them.
 */
const EXEMPT = new Set(["lib/server/default_capsule.ts"]);

/** The string literals of `source` (comments left out) that name a `--flag`. */
function flagMentions(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (const m of code.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)) {
    if (/(^|[\s(["'`])--[a-z][a-z-]*/.test(m[0])) found.push(m[0]);
  }
  return found;
}

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("lib/server and lib/tls name no command-line flags in their messages", async () => {
  const problems: string[] = [];
  for (const layer of ["lib/server", "lib/tls"]) {
    for await (const file of sources(join(ROOT, layer))) {
      const where = relative(ROOT, file);
      if (EXEMPT.has(where)) continue;
      for (const mention of flagMentions(await Deno.readTextFile(file))) {
        problems.push(`${where}: ${mention}`);
      }
    }
  }
  assertEquals(problems, []);
});

Deno.test("flagMentions() finds flags in strings, not in comments or arithmetic", () => {
  const source = [
    "// run with --check to see it",
    "/** Prints what `--check` shows. */",
    'throw new Error("Cannot read the key; use --key FILE");',
    "const hint = `pass --proxy-from ${x}`;",
    "const note = '(--max-size)';",
    "if (n > 0) this.total--;",
    'const pem = "-----BEGIN CERTIFICATE-----";',
    'const ok = "no flags here";',
  ].join("\n");
  assertEquals(flagMentions(source), [
    '"Cannot read the key; use --key FILE"',
    "`pass --proxy-from ${x}`",
    "'(--max-size)'",
  ]);
});
