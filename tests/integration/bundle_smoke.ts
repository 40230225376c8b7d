/**
 * Smoke test of the single-file build: `make bundle-smoke` runs this with GEMINI_BUNDLE set
 * to dist/gemini.js. The bundle must print its version and fetch a page from a TLS test
 * server on loopback, with no other file of the project beside it, and serve a directory
 * from workers in the permission sandbox.
 */

import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { waitForValue } from "../_helpers/wait.ts";
import { fetchUrl } from "../server/_harness.ts";
import { startTestServer } from "../_helpers/tls_server.ts";
import denoJson from "../../deno.json" with { type: "json" };

const bundle = Deno.env.get("GEMINI_BUNDLE");
if (!bundle) throw new Error("GEMINI_BUNDLE must name the bundled dist/gemini.js");

async function runBundle(
  args: string[],
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Run a copy from an empty folder, so nothing of the source tree can be picked up.
  const dir = await Deno.makeTempDir({ prefix: "gemini-bundle-" });
  const copy = `${dir}/gemini.js`;
  await Deno.copyFile(bundle!, copy);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-config", copy, ...args],
    cwd: dir,
    env: { GEMINI_HOME: home, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("the bundle prints its version", async () => {
  const home = await Deno.makeTempDir();
  const result = await runBundle(["--version"], home);
  assertEquals(result.code, 0, result.stderr);
  assertStringIncludes(result.stdout, denoJson.version);
  await Deno.remove(home, { recursive: true });
});

Deno.test("the bundle fetches a page over TLS from a loopback server", async () => {
  const page = "# Hello from the smoke test\n=> /next Next page\n";
  const server = await startTestServer(({ socket }) => {
    socket.end(`20 text/gemini; charset=utf-8\r\n${page}`);
  }, { requestCert: false });
  const home = await Deno.makeTempDir();
  try {
    const result = await runBundle(["get", `gemini://127.0.0.1:${server.port}/`], home);
    assertEquals(result.code, 0, result.stderr);
    // stdout is not a TTY: the body comes out byte for byte.
    assertEquals(result.stdout, page);
    assertEquals(server.lines, [`gemini://127.0.0.1:${server.port}/`]);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the bundle serves a directory from sandboxed workers with --unstable-worker-options", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-bundle-serve-" });
  const copy = `${dir}/gemini.js`;
  await Deno.copyFile(bundle!, copy);
  await Deno.mkdir(`${dir}/site`);
  await Deno.writeTextFile(`${dir}/site/index.gmi`, "# bundled\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--no-config",
      "--unstable-worker-options",
      copy,
      "serve",
      "--port",
      "0",
      `${dir}/site`,
    ],
    cwd: dir,
    env: { GEMINI_HOME: `${dir}/home`, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  try {
    const port = await waitForValue(
      () => /listening on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1],
      "the bundled server to listen",
      { timeoutMs: 60_000, intervalMs: 20 },
    ).catch(() => {
      throw new Error(`the bundle did not start serving:\n${stderr}`);
    });
    const res = await fetchUrl(Number(port), `gemini://localhost:${port}/`);
    assertEquals([res.status, res.text], [20, "# bundled\n"]);
    assert(!stderr.includes("permissions of the process"), stderr);
  } finally {
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 0, stderr);
    await reading;
    await Deno.remove(dir, { recursive: true });
  }
});
