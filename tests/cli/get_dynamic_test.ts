import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { join } from "node:path";
import { memoryIo } from "../../lib/cli/io.ts";
import { run } from "../../lib/cli/run.ts";
import { openIdentityStore } from "../../lib/client/identities.ts";
import { resolvePaths } from "../../lib/files/paths.ts";
import { accessControl } from "../../lib/server/access.ts";
import { titanHandler } from "../../lib/server/titan.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { HANDLER_TEST, startServer } from "../server/_harness.ts";
import { parseGetJson } from "../_helpers/get_json.ts";

async function gemini(
  home: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo({ env: { GEMINI_HOME: home }, stdin });
  const code = await run(args, io);
  return { code, out: io.stdout.text(), err: io.stderr.text() };
}

Deno.test("gemini get --identity against access control: 60, 61, 62 and success", async () => {
  const home = await Deno.makeTempDir({ prefix: "gemini-home-" });
  try {
    assertEquals((await gemini(home, ["cert", "new", "alice"])).code, 0);
    assertEquals((await gemini(home, ["cert", "new", "bob"])).code, 0);
    const old = await generateCertificate("old", {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    await Deno.writeTextFile(join(home, "old.crt"), old.cert);
    await Deno.writeTextFile(join(home, "old.key"), old.key);
    const imported = await gemini(home, [
      "cert",
      "import",
      "old",
      join(home, "old.crt"),
      join(home, "old.key"),
    ]);
    assertEquals(imported.code, 0, imported.err);
    const store = openIdentityStore(resolvePaths((k) => (k === "GEMINI_HOME" ? home : undefined)));
    const alice = (await store.get("alice"))!;
    const server = await startServer(
      accessControl({
        prompt: "Members only",
        allow: [alice.info.spkiSha256, old.info.spkiSha256],
      })((req) => ({
        status: 20,
        meta: "text/plain",
        body: `hi ${req.clientCertificate?.commonName}`,
      })),
      { ...HANDLER_TEST, hosts: ["127.0.0.1"] },
    );
    const url = `gemini://127.0.0.1:${server.port}/private`;
    try {
      const anonymous = await gemini(home, ["get", url]);
      assertEquals(anonymous.code, 60);
      assertStringIncludes(anonymous.err, "Members only");
      const ok = await gemini(home, ["get", "--identity", "alice", url]);
      assertEquals([ok.code, ok.out], [0, "hi alice"]);
      assertEquals((await gemini(home, ["get", "--identity", "bob", url])).code, 61);
      assertEquals((await gemini(home, ["get", "--identity", "old", url])).code, 62);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get --upload FILE and --upload - send Titan uploads", async () => {
  const home = await Deno.makeTempDir({ prefix: "gemini-home-" });
  const root = await Deno.makeTempDir({ prefix: "titan-root-" });
  const server = await startServer(
    titanHandler({ root, tokens: ["s3cret"], mimeTypes: ["text/*"], allowDelete: true }),
    { ...HANDLER_TEST, hosts: ["127.0.0.1"] },
  );
  const base = `titan://127.0.0.1:${server.port}`;
  try {
    await Deno.writeTextFile(join(home, "page.gmi"), "# uploaded\n");
    const up = await gemini(home, [
      "get",
      "--upload",
      join(home, "page.gmi"),
      "--token",
      "s3cret",
      `${base}/wiki/page.gmi`,
    ]);
    assertEquals(
      [up.code, up.out],
      [0, `gemini://127.0.0.1:${server.port}/wiki/page.gmi\n`],
      up.err,
    );
    assertEquals(await Deno.readTextFile(join(root, "wiki", "page.gmi")), "# uploaded\n");

    const piped = await gemini(
      home,
      ["get", "--upload", "-", "--mime", "text/plain", "--token", "s3cret", "-i", `${base}/n.txt`],
      "from stdin\n",
    );
    assertEquals([piped.code, piped.out], [0, `30 gemini://127.0.0.1:${server.port}/n.txt\r\n`]);
    assertEquals(await Deno.readTextFile(join(root, "n.txt")), "from stdin\n");

    const wrong = await gemini(
      home,
      ["get", "--upload", "-", "--token", "nope", `${base}/x.gmi`],
      "x",
    );
    assertEquals(wrong.code, 59);
    assertStringIncludes(wrong.err, "Wrong or missing token");
    // --json reports an upload like a fetch: one object, the certificate and trust check.
    const json = await gemini(
      home,
      ["get", "--json", "--upload", "-", "--token", "s3cret", `${base}/j.gmi`],
      "# json\n",
    );
    const described = parseGetJson(json.out);
    assertEquals(json.code, 0, json.err);
    assertEquals([described.status, described.target, described.error], [
      30,
      `gemini://127.0.0.1:${server.port}/j.gmi`,
      null,
    ]);
    assertEquals(described.trust.verdict, "match");
    assertEquals(described.certificate.spkiSha256, described.trust.presented.spkiSha256);
    const refusedJson = await gemini(
      home,
      ["get", "--json", "--upload", "-", "--token", "nope", `${base}/x.gmi`],
      "x",
    );
    assertEquals(refusedJson.code, 59);
    assertEquals(parseGetJson(refusedJson.out).status, 59);
    const missing = await gemini(home, [
      "get",
      "--json",
      "--upload",
      join(home, "no-such-file"),
      `${base}/x.gmi`,
    ]);
    assertEquals(missing.code, 1);
    assertEquals(parseGetJson(missing.out).error.code, "file");
    const mime = await gemini(
      home,
      ["get", "--upload", "-", "--mime", "image/png", "--token", "s3cret", `${base}/x.png`],
      "x",
    );
    assertEquals(mime.code, 59);

    const dry = await gemini(home, [
      "get",
      "--dry-run",
      "--upload",
      join(home, "page.gmi"),
      "--token",
      "a b",
      `${base}/p.gmi`,
    ]);
    assertEquals(dry.out, `${base}/p.gmi;size=11;token=a%20b\r\n`);

    const del = await gemini(
      home,
      ["get", "--upload", "-", "--token", "s3cret", `${base}/n.txt`],
      "",
    );
    assertEquals(del.code, 0, del.err);
    assertEquals(await Deno.stat(join(root, "n.txt")).catch(() => null), null);

    const usage = await gemini(home, ["get", "--upload", "-", "gemini://127.0.0.1/x"], "x");
    assertEquals(usage.code, 2);
    assertEquals((await gemini(home, ["get", "--token", "t", "gemini://127.0.0.1/x"])).code, 2);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});
