/**
 * The layering rules of DESIGN.md, checked on the source: imports flow one way
 * (protocol, gemtext <- tls, files <- client, server <- cli), client and server never
 * import each other, and the pure layers use no I/O.
 */

import { assertEquals } from "./_helpers/assert.ts";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Which lib/ folders each lib/ folder may import. */
const ALLOWED: Record<string, string[]> = {
  protocol: ["protocol"],
  gemtext: ["gemtext", "protocol"],
  tls: ["tls", "protocol"],
  files: ["files"],
  client: ["client", "protocol", "gemtext", "tls", "files"],
  server: ["server", "protocol", "gemtext", "tls", "files"],
  cli: ["cli", "client", "server", "protocol", "gemtext", "tls", "files"],
};

/** npm packages the pure layers may use (pure computation, no I/O). */
const PURE_PACKAGES = new Set(["string-width"]);

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

function importsOf(source: string): string[] {
  const found: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  // Doc comments hold example imports (of node:assert, of the module itself): not real ones.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const match of code.matchAll(re)) found.push(match[1] ?? match[2]);
  return found;
}

async function violations(root: string): Promise<string[]> {
  const problems: string[] = [];
  const lib = join(root, "lib");
  for await (const file of sourceFiles(lib)) {
    const layer = relative(lib, file).split("/")[0];
    const allowed = ALLOWED[layer];
    const where = relative(root, file);
    if (!allowed) {
      problems.push(`${where}: lib/${layer} is not a known layer (add it to ALLOWED)`);
      continue;
    }
    const source = await Deno.readTextFile(file);
    const pure = layer === "protocol" || layer === "gemtext";
    for (const spec of importsOf(source)) {
      if (spec.startsWith(".")) {
        const target = relative(lib, resolve(dirname(file), spec));
        if (target.startsWith("..")) {
          if (!target.endsWith("deno.json")) {
            problems.push(`${where}: imports ${spec} outside lib/`);
          }
          continue;
        }
        const targetLayer = target.split("/")[0];
        if (!allowed.includes(targetLayer)) {
          problems.push(`${where}: lib/${layer} must not import lib/${targetLayer} (${spec})`);
        }
      } else if (pure && (spec.startsWith("node:") || !PURE_PACKAGES.has(spec))) {
        problems.push(`${where}: pure layer lib/${layer} imports ${spec}`);
      }
    }
    if (
      pure && /\bDeno\.|\bfetch\(|\bprocess\./.test(source.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))
    ) {
      problems.push(`${where}: pure layer lib/${layer} uses Deno/process/fetch I/O`);
    }
  }
  return problems;
}

Deno.test("architecture: layers import only downwards and pure layers do no I/O", async () => {
  assertEquals(await violations(ROOT), []);
});

Deno.test("architecture: the checker catches forbidden imports and I/O", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "lib/client"), { recursive: true });
    await Deno.mkdir(join(root, "lib/protocol"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "lib/client/a.ts"),
      `import { x } from "../server/b.ts";\nexport const y = x;\n`,
    );
    await Deno.writeTextFile(
      join(root, "lib/protocol/p.ts"),
      `const fs = await import("node:fs");\nexport const t = Deno.readTextFileSync("x");\n`,
    );
    assertEquals((await violations(root)).sort(), [
      "lib/client/a.ts: lib/client must not import lib/server (../server/b.ts)",
      "lib/protocol/p.ts: pure layer lib/protocol imports node:fs",
      "lib/protocol/p.ts: pure layer lib/protocol uses Deno/process/fetch I/O",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
