/** examples/render_gemtext.ts type-checks and runs. */

import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";

const EXAMPLE = new URL("../../examples/render_gemtext.ts", import.meta.url);
const ROOT = new URL("../../", import.meta.url);

async function deno(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("examples/render_gemtext.ts passes deno check", async () => {
  const result = await deno("check", "--quiet", EXAMPLE.pathname);
  assertEquals(result.code, 0, result.stderr);
});

Deno.test("examples/render_gemtext.ts renders its sample without colour when piped", async () => {
  const result = await deno("run", "--quiet", EXAMPLE.pathname);
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, "# Welcome\n");
  assertStringIncludes(result.stdout, "[2] A web page (https)\n");
  assertStringIncludes(result.stdout, "[1] gemini://geminiprotocol.net/\n");
  assertEquals(result.stdout.includes("\x1b"), false);
});
