/**
 * The layering rules of DESIGN.md, checked on the source: imports flow one way
 * (protocol, gemtext <- tls, files <- client, server <- cli), client and server never
 * import each other, no layer imports another layer's internal (`_`-prefixed) files, and the
 * pure layers use no I/O.
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
  // `import … from "x"`, `export … from "x"`, a bare `import "x"` (side effects only) and
  // a dynamic `import("x")`.
  const re =
    /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  // Doc comments hold example imports (of node:assert, of the module itself): not real ones.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const match of code.matchAll(re)) found.push(match[1] ?? match[2] ?? match[3]);
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
        } else if (targetLayer !== layer && target.split("/").some((p) => p.startsWith("_"))) {
          problems.push(`${where}: imports an internal file of lib/${targetLayer} (${spec})`);
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

Deno.test("architecture: layers import only downwards, not each other's internals, and pure layers do no I/O", async () => {
  assertEquals(await violations(ROOT), []);
});

Deno.test("architecture: the checker catches forbidden imports and I/O", async () => {
  const root = await Deno.makeTempDir();
  const files: Record<string, string> = {
    // client and server must not import each other, in either direction
    "lib/client/a.ts": `import { x } from "../server/b.ts";\nexport const y = x;\n`,
    "lib/server/b.ts": `export { y as x } from "../client/a.ts";\n`,
    // the pure layers: node: built-ins (dynamic or side-effect imports too), npm packages
    // that are not on the pure list, and Deno/fetch/process I/O
    "lib/protocol/p.ts":
      `const fs = await import("node:fs");\nexport const t = Deno.readTextFileSync("x");\n`,
    "lib/protocol/q.ts": `import "node:net";\nexport const u = 1;\n`,
    "lib/gemtext/g.ts":
      `import toml from "smol-toml";\nexport const v = await fetch("gemini://x/");\n`,
    "lib/gemtext/h.ts": `export const w = process.env.HOME;\n`,
    // allowed: a pure layer using a pure package and the protocol layer, a doc example
    // that mentions Deno, and the client importing protocol and tls
    "lib/gemtext/ok.ts": `/** \`Deno.stdout\` in a doc comment is fine */\n` +
      `import stringWidth from "string-width";\nimport { p } from "../protocol/ok.ts";\n` +
      `export const ok = stringWidth(p);\n`,
    "lib/protocol/ok.ts": `export const p = "x";\n`,
    "lib/client/ok.ts": `import { p } from "../protocol/ok.ts";\nimport "../tls/t.ts";\n` +
      `export const c = p;\n`,
    "lib/tls/t.ts": `import tls from "node:tls";\nexport const t = tls;\n`,
    // internals: the CLI must not reach into another layer's `_` files; a layer may use its own
    "lib/cli/c.ts": `import { d } from "../tls/_d.ts";\nimport { e } from "./_e.ts";\n` +
      `export const c = d + e;\n`,
    "lib/cli/_e.ts": `export const e = 1;\n`,
    "lib/tls/_d.ts": `export const d = 1;\n`,
  };
  try {
    for (const [path, source] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), source);
    }
    assertEquals((await violations(root)).sort(), [
      "lib/cli/c.ts: imports an internal file of lib/tls (../tls/_d.ts)",
      "lib/client/a.ts: lib/client must not import lib/server (../server/b.ts)",
      "lib/gemtext/g.ts: pure layer lib/gemtext imports smol-toml",
      "lib/gemtext/g.ts: pure layer lib/gemtext uses Deno/process/fetch I/O",
      "lib/gemtext/h.ts: pure layer lib/gemtext uses Deno/process/fetch I/O",
      "lib/protocol/p.ts: pure layer lib/protocol imports node:fs",
      "lib/protocol/p.ts: pure layer lib/protocol uses Deno/process/fetch I/O",
      "lib/protocol/q.ts: pure layer lib/protocol imports node:net",
      "lib/server/b.ts: lib/server must not import lib/client (../client/a.ts)",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
