import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { answer, startGeminiServer } from "../_helpers/gemini_server.ts";
import { parseGetJson } from "../_helpers/get_json.ts";
import { main } from "../../lib/cli/get.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { titanHandler } from "../../lib/server/titan.ts";
import { HANDLER_TEST, startServer } from "../server/_harness.ts";

// Edge cases 59 and 60 as `gemini get` shows them: exit codes, stderr, --json.

const DAY = 86_400_000;

async function get(
  args: string[],
  home: string,
): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo({ env: { GEMINI_HOME: home, NO_COLOR: "1" } });
  const code = await main(args, io);
  return { code, out: io.stdout.text(), err: io.stderr.text() };
}

Deno.test("gemini get: an expired server certificate exits 1 unsent; --tofu=warn goes on; --json says valid: false", async () => {
  const bundle = await generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const server = await startGeminiServer(
    ({ conn }) => answer(conn, "20 text/plain\r\n", "stale but here\n"),
    { certificate: bundle },
  );
  const home = await Deno.makeTempDir({ prefix: "gemini-get-" });
  try {
    const url = `gemini://127.0.0.1:${server.port}/`;
    const refused = await get([url], home);
    assertEquals(refused.code, 1);
    assertEquals(refused.out, "");
    assertStringIncludes(refused.err, `gemini get: The certificate of 127.0.0.1:${server.port}`);
    assertStringIncludes(
      refused.err,
      `expired on ${bundle.info.notAfter.toISOString().slice(0, 19)}`,
    );
    assertStringIncludes(refused.err, "--tofu=warn");
    assertStringIncludes(refused.err, "operator");
    // Refused before the trust check: nothing was pinned.
    const first = await get(["--tofu=warn", "--json", url], home);
    assertEquals(first.code, 0);
    assertEquals(parseGetJson(first.out).trust.verdict, "first-use");
    const warned = await get(["--tofu", "warn", "--json", url], home);
    assertEquals(warned.code, 0);
    assertStringIncludes(warned.err, "gemini get: warning: The certificate of");
    const json = parseGetJson(warned.out);
    assertEquals(json.body, "stale but here\n");
    assertEquals(json.certificate.valid, false);
    assertEquals(json.trust.verdict, "match");
    assertEquals(server.lines, [url, url]);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get: a certificate for another host warns on stderr and goes on", async () => {
  const other = await generateCertificate("other.example", { altNames: ["other.example"] });
  const server = await startGeminiServer(
    ({ conn }) => answer(conn, "20 text/plain\r\n", "hello\n"),
    { certificate: other },
  );
  const home = await Deno.makeTempDir({ prefix: "gemini-get-" });
  try {
    const result = await get([`gemini://127.0.0.1:${server.port}/`], home);
    assertEquals(result.code, 0);
    assertEquals(result.out, "hello\n");
    assertStringIncludes(
      result.err,
      `gemini get: warning: The certificate of 127.0.0.1:${server.port} is for other.example, ` +
        "not for 127.0.0.1",
    );
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get --upload: an expired server certificate stops the upload unsent; --tofu=warn goes on", async () => {
  const bundle = await generateCertificate("127.0.0.1", {
    altNames: ["127.0.0.1"],
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const root = await Deno.makeTempDir({ prefix: "titan-root-" });
  const home = await Deno.makeTempDir({ prefix: "gemini-get-" });
  const server = await startServer(
    titanHandler({ root, tokens: ["s3cret"], mimeTypes: ["text/*"] }),
    {
      ...HANDLER_TEST,
      hosts: ["127.0.0.1"],
      certificates: [{ cert: bundle.cert, key: bundle.key }],
    },
  );
  try {
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "hello\n" });
    const target = `titan://127.0.0.1:${server.port}/note.gmi`;
    const refused = await main(["--upload", "-", "--token", "s3cret", "--json", target], io);
    assertEquals(refused, 1);
    assertStringIncludes(io.stderr.text(), `127.0.0.1:${server.port} expired on`);
    const json = parseGetJson(io.stdout.text());
    assertEquals([json.error.code, json.certificate.valid, json.trust], [
      "certificate-invalid",
      false,
      null,
    ]);
    assertEquals(await Deno.stat(`${root}/note.gmi`).catch(() => null), null);
    const warnIo = memoryIo({ env: { GEMINI_HOME: home }, stdin: "hello\n" });
    const args = ["--upload", "-", "--token", "s3cret", "--tofu", "warn", target];
    assertEquals(await main(args, warnIo), 0, warnIo.stderr.text());
    assertStringIncludes(warnIo.stderr.text(), "warning: The certificate of");
    assertEquals(await Deno.readTextFile(`${root}/note.gmi`), "hello\n");
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});
