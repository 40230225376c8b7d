/**
 * The README stays one coherent document: its contents list matches its headings, and its
 * TypeScript examples type-check against the library (the lib/tls one also runs).
 */

import { assert, assertEquals } from "./_helpers/assert.ts";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const README = await Deno.readTextFile(join(ROOT, "README.md"));

/** Headings of level 2 and 3 outside code blocks. */
function headings(text: string): { level: number; title: string }[] {
  const found: { level: number; title: string }[] = [];
  let fence = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const m = !fence && /^(##|###) (.+)$/.exec(line);
    if (m) found.push({ level: m[1].length, title: m[2] });
  }
  return found;
}

/** GitHub's anchor for a heading. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

/** The TypeScript code blocks, with the section each is in. */
function examples(text: string): { section: string; code: string }[] {
  const found: { section: string; code: string }[] = [];
  let section = "";
  for (const m of text.matchAll(/^## (.+)$|^```ts\n([\s\S]*?)^```$/gm)) {
    if (m[1]) section = m[1];
    else found.push({ section, code: m[2] });
  }
  return found;
}

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

Deno.test("README: the contents list every section and subsection, in order", () => {
  const all = headings(README).filter((h) => h.title !== "Contents");
  const start = README.indexOf("## Contents");
  const contents = README.slice(start, README.indexOf("\n## ", start));
  const listed = [...contents.matchAll(/^( *)- \[(.+)\]\(#(.+)\)$/gm)].map((m) => ({
    level: m[1].length === 0 ? 2 : 3,
    title: m[2],
    anchor: m[3],
  }));
  assertEquals(listed.map((l) => [l.level, l.title]), all.map((h) => [h.level, h.title]));
  for (const l of listed) assertEquals(l.anchor, anchor(l.title));
  for (
    const required of ["Quick start", "Building", "Dependencies", "lib/protocol", "lib/gemtext"]
  ) assert(all.some((h) => h.title === required), required);
  assert(all.some((h) => h.title === "lib/tls"), "lib/tls");
});

Deno.test("README: every TypeScript example type-checks; the lib/tls one runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const blocks = examples(README);
    assert(blocks.length >= 4, `${blocks.length} examples`);
    const files: string[] = [];
    for (const [i, block] of blocks.entries()) {
      const file = join(dir, `example_${i}.ts`);
      // The examples import the repository's files ("./mod.ts", "./lib/server/mod.ts").
      const code = block.code.replace(
        /from "\.\/([^"]+)"/g,
        (_, path: string) => `from ${JSON.stringify(pathToFileURL(join(ROOT, path)).href)}`,
      );
      await Deno.writeTextFile(file, code);
      files.push(file);
    }
    const config = join(ROOT, "deno.json");
    const checked = await deno(["check", "--quiet", "--config", config, ...files]);
    assertEquals(checked.code, 0, checked.output);
    const tls = blocks.findIndex((b) => b.section === "lib/tls");
    assert(tls >= 0, "the lib/tls section has an example");
    const ran = await deno(["run", "--quiet", "--allow-all", "--config", config, files[tls]]);
    assertEquals(ran.code, 0, ran.output);
    assertEquals(ran.output, "true\n20 text/gemini\r\n# Hello\ntrue\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
