import net from "node:net";
import { join } from "node:path";
import { GEMINI, type LauncherResult, runGemini } from "../_helpers/launcher.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { answer, type GeminiTestServer, startGeminiServer } from "../_helpers/gemini_server.ts";
import { parseGetJson } from "../_helpers/get_json.ts";
import { main } from "../../lib/cli/get.ts";
import { type MemoryIo, memoryIo, type MemoryIoOptions } from "../../lib/cli/io.ts";
import { run } from "../../lib/cli/run.ts";
import { encryptKey, makeIdentity, openIdentityStore } from "../../lib/client/identities.ts";
import { resolvePaths } from "../../lib/files/paths.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { formatFingerprint } from "../../lib/tls/fingerprint.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0xfe]);
const LATIN1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]);

/** A server with one route per path, the way a test needs it. */
function startSite(): Promise<GeminiTestServer> {
  let slowHits = 0;
  return startGeminiServer(async ({ line, conn }) => {
    const url = new URL(line);
    const path = url.pathname;
    switch (path) {
      case "/":
        return answer(
          conn,
          "20 text/gemini; lang=en\r\n",
          "# Welcome\nPlain text line\n=> /png A picture\n",
        );
      case "/png":
        return answer(conn, "20 image/png\r\n", PNG);
      case "/big":
        return answer(
          conn,
          "20 application/octet-stream\r\n",
          new Uint8Array(1024 * 1024 + 1).fill(7),
        );
      case "/latin1":
        return answer(conn, "20 text/plain; charset=iso-8859-1\r\n", LATIN1);
      case "/klingon":
        return answer(conn, "20 text/plain; charset=x-klingon\r\n", "qapla'\n");
      case "/missing":
        return answer(conn, "51 Nothing here\r\n");
      case "/search":
        return url.search
          ? answer(conn, "20 text/plain\r\n", `you said ${url.search}\n`)
          : answer(conn, "10 Search for what?\r\n");
      case "/private":
        return conn.peerCertificate
          ? answer(conn, "20 text/plain\r\n", `hello ${conn.peerCertificate.commonName}\n`)
          : answer(conn, "60 Who are you?\r\n");
      case "/slow":
        return slowHits++ % 2 === 0
          ? answer(conn, "44 0\r\n")
          : answer(conn, "20 text/plain\r\n", "patience\n");
      case "/cut":
        await conn.write("20 text/plain\r\ncut short");
        return conn.destroy();
      case "/loop":
        return answer(conn, "30 /loop2\r\n");
      case "/loop2":
        return answer(conn, "30 /loop\r\n");
      case "/password":
        return url.search
          ? answer(conn, "20 text/plain\r\n", `password ${url.search}\n`)
          : answer(conn, "11 Password\r\n");
      case "/silent":
        return; // never answers; closing the server ends the connection
      case "/stall":
        await conn.write("20 text/plain\r\npartial");
        return; // the body never ends; closing the server ends the connection
      case "/away":
        return answer(conn, "30 gopher://127.0.0.1:1/\r\n");
      default:
        return answer(conn, "20 text/plain\r\n", `proxied ${line}\n`);
    }
  });
}

interface Run {
  code: number;
  io: MemoryIo;
  out: string;
  err: string;
}

async function get(args: string[], home: string, options: MemoryIoOptions = {}): Promise<Run> {
  const io = memoryIo({ ...options, env: { GEMINI_HOME: home, NO_COLOR: "1", ...options.env } });
  const code = await main(args, io);
  return { code, io, out: io.stdout.text(), err: io.stderr.text() };
}

async function withSite(
  fn: (site: GeminiTestServer, home: string) => Promise<void>,
): Promise<void> {
  const site = await startSite();
  const home = await Deno.makeTempDir({ prefix: "gemini-get-" });
  try {
    await fn(site, home);
  } finally {
    await site.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("gemini get --help shows every option, examples and exit codes", async () => {
  const io = memoryIo();
  assertEquals(await main(["--help"], io), 0);
  const help = io.stdout.text();
  for (
    const flag of [
      "--input",
      "--identity",
      "--transient",
      "--tofu",
      "--trust-new",
      "--max-redirects",
      "--no-follow",
      "--allow-scheme-change",
      "--retries",
      "--max-wait",
      "--retry-input",
      "--proxy",
      "--allow-gopher",
      "--raw",
      "-o, --output",
      "-i, --include",
      "-I, --head",
      "--dry-run",
      "--json",
      "--max-size",
      "--timeout",
    ]
  ) assertStringIncludes(help, flag);
  assertStringIncludes(help, "Examples:");
  assertStringIncludes(help, "Exit codes:");
  // The contract in brief: every error code, the schema, retries, schemes.
  for (const code of ["connect", "dns", "trust-changed", "redirect-limit", "scheme", "internal"]) {
    assertStringIncludes(help, code);
  }
  assertStringIncludes(help, "schemas/get-output.schema.json");
  assertStringIncludes(help, "--retry-input");
  assertStringIncludes(help, "data: decoded locally");
});

Deno.test("gemini get: usage errors exit 2", async () => {
  for (
    const args of [
      ["get"],
      ["get", "--tofu=maybe", "gemini://x/"],
      ["get", "--retries", "-1", "gemini://x/"],
      ["get", "--max-size", "lots", "gemini://x/"],
      ["get", "--proxy", "https=https://p/", "gemini://x/"],
      ["get", "--jsno", "gemini://x/"],
      ["get", "gemini://x/", "gemini://y/"],
      ["get", "--timeout", "0", "gemini://x/"],
      ["get", "gemini://x/a\nb"],
      ["get", "gemini://x/a\tb"],
      ["get", "gemini://x/a\0b"],
      ["get", "gemini://user:pw@x/"],
      ["get", `gemini://x/${"a".repeat(1024 - "gemini://x/".length + 1)}`],
    ]
  ) {
    const io = memoryIo({ env: { GEMINI_HOME: "/nonexistent" } });
    assertEquals(await run(args, io), 2, args.join(" "));
    assert(io.stderr.text().length > 0);
  }
  const lf = memoryIo({ env: { GEMINI_HOME: "/nonexistent" } });
  await run(["get", "--dry-run", "gemini://x/a\nb"], lf);
  assertEquals(lf.stdout.text(), "");
  assertStringIncludes(lf.stderr.text(), "control character U+000A");
  const limit = memoryIo({ env: { GEMINI_HOME: "/nonexistent" } });
  const exact = `gemini://x/${"a".repeat(1024 - "gemini://x/".length)}`;
  assertEquals(await run(["get", "--dry-run", exact], limit), 0);
  assertEquals(limit.stdout.text(), `${exact}\r\n`);
  const io = memoryIo();
  await run(["get", "--jsno", "gemini://x/"], io);
  assertStringIncludes(io.stderr.text(), "did you mean --json?");
});

Deno.test("gemini get writes the body byte for byte when stdout is not a terminal", async () => {
  await withSite(async (site, home) => {
    const png = await get([site.url("/png")], home);
    assertEquals(png.code, 0);
    assertEquals(png.io.stdout.bytes(), PNG);
    const latin = await get([site.url("/latin1")], home);
    assertEquals(latin.io.stdout.bytes(), LATIN1);
    const page = await get([site.url("/")], home);
    assertEquals(page.out, "# Welcome\nPlain text line\n=> /png A picture\n");
  });
});

Deno.test("gemini get renders gemtext on a terminal, with colour unless NO_COLOR", async () => {
  await withSite(async (site, home) => {
    const plain = await get([site.url("/")], home, { terminal: true, columns: 60 });
    assertEquals(plain.code, 0);
    assertEquals(
      plain.out,
      `# Welcome\nPlain text line\n[1] A picture\n\n[1] ${site.url("/png")}\n`,
    );
    const io = memoryIo({ terminal: true, columns: 60, env: { GEMINI_HOME: home } });
    assertEquals(await main([site.url("/")], io), 0);
    assertStringIncludes(io.stdout.text(), "\x1b[");
    const latin = await get([site.url("/latin1")], home, { terminal: true });
    assertEquals(latin.out, "café\n");
  });
});

Deno.test("gemini get never dumps a non-text body onto a terminal and suggests -o", async () => {
  await withSite(async (site, home) => {
    const result = await get([site.url("/png")], home, { terminal: true });
    assertEquals(result.code, 0);
    assertEquals(result.out, "");
    assertStringIncludes(result.err, "image/png");
    assertStringIncludes(result.err, "-o FILE");
    const raw = await get(["--raw", site.url("/png")], home, { terminal: true });
    assertEquals(raw.io.stdout.bytes(), PNG);
  });
});

Deno.test("gemini get -o saves the body, with a progress line when stderr is a terminal", async () => {
  await withSite(async (site, home) => {
    const file = join(home, "picture.png");
    const quiet = await get(["-o", file, site.url("/png")], home);
    assertEquals(quiet.code, 0);
    assertEquals(await Deno.readFile(file), PNG);
    assertEquals(quiet.err, "");
    const big = join(home, "big.bin");
    const shown = await get(["-o", big, site.url("/big")], home, { terminal: true });
    assertEquals(shown.code, 0);
    assertEquals((await Deno.stat(big)).size, 1024 * 1024 + 1);
    assertMatch(shown.err, /big\.bin: 1\.0 MiB +[0-9.]+ [KMG]?i?B\/s/);
    // A download that fails leaves the file as it was and keeps what came in FILE.part.
    const kept = join(home, "kept.txt");
    await Deno.writeTextFile(kept, "precious\n");
    const failed = await get(["-o", kept, "--timeout", "0.2", site.url("/stall")], home);
    assertEquals(failed.code, 1);
    assertEquals(await Deno.readTextFile(kept), "precious\n");
    assertEquals(await Deno.readTextFile(`${kept}.part`), "partial");
    assertStringIncludes(failed.err, `the 7 bytes received are in ${kept}.part`);
    assertStringIncludes(failed.err, `(${kept} was left as it was)`);
    // A body without close_notify is still delivered (with a warning) and replaces the file.
    const cut = await get(["-o", kept, site.url("/cut")], home);
    assertEquals(cut.code, 0);
    assertEquals(await Deno.readTextFile(kept), "cut short");
    assertStringIncludes(cut.err, "may be truncated");
    // A device is written directly.
    assertEquals((await get(["-o", "/dev/null", site.url("/png")], home)).code, 0);
  });
});

Deno.test("gemini get -i prints the header then the body; -I the header only", async () => {
  await withSite(async (site, home) => {
    const include = await get(["-i", site.url("/")], home);
    assertEquals(
      include.out,
      "20 text/gemini; lang=en\r\n# Welcome\nPlain text line\n=> /png A picture\n",
    );
    const head = await get(["-I", site.url("/")], home);
    assertEquals(head.out, "20 text/gemini; lang=en\r\n");
    const missing = await get(["-I", site.url("/missing")], home);
    assertEquals([missing.code, missing.out], [51, "51 Nothing here\r\n"]);
  });
});

Deno.test("gemini get --dry-run prints the request line and sends nothing", async () => {
  await withSite(async (site, home) => {
    const result = await get(["--dry-run", `localhost:${site.port}/a b?q`], home);
    assertEquals(result.code, 0);
    assertEquals(result.out, `gemini://localhost:${site.port}/a%20b?q\r\n`);
    assertStringIncludes(result.err, "nothing was sent");
    const proxied = await get(
      ["--dry-run", "--proxy", `https=gemini://localhost:${site.port}`, "https://example.org/"],
      home,
    );
    assertEquals(proxied.out, "https://example.org/\r\n");
    assertStringIncludes(proxied.err, `localhost:${site.port} (proxy for https)`);
    assertEquals(site.handshakes, 0);
  });
});

Deno.test("gemini get --json prints one object with the contract's fields", async () => {
  await withSite(async (site, home) => {
    const result = await get(["--json", site.url("/")], home);
    assertEquals(result.code, 0);
    const json = parseGetJson(result.out);
    assertEquals(Object.keys(json), [
      "url",
      "status",
      "handledAs",
      "meta",
      "mediaType",
      "charset",
      "lang",
      "target",
      "redirects",
      "tls",
      "certificate",
      "trust",
      "retries",
      "timing",
      "bodyBytes",
      "closeNotify",
      "error",
      "body",
    ]);
    assertEquals(json.url, site.url("/"));
    assertEquals([json.status, json.handledAs, json.meta, json.mediaType], [
      20,
      20,
      "text/gemini; lang=en",
      "text/gemini",
    ]);
    // The effective charset: text/gemini without a parameter is UTF-8.
    assertEquals([json.charset, json.lang, json.target], ["utf-8", "en", null]);
    assertEquals(Object.keys(json.tls), ["version", "cipher"]);
    assertEquals(Object.keys(json.certificate), [
      "spkiSha256",
      "certSha256",
      "subject",
      "notBefore",
      "notAfter",
      "valid",
    ]);
    assertEquals(json.certificate.valid, true);
    assertEquals(json.trust.verdict, "first-use");
    assertEquals(json.trust.pinned, null);
    assertEquals(json.trust.presented.spkiSha256, json.certificate.spkiSha256);
    assert(Math.abs(Date.parse(json.trust.firstSeen) - Date.now()) < 60_000);
    assertEquals(json.retries, { count: 0, waitedSeconds: 0, stopped: null });
    assertEquals(Object.keys(json.timing), ["connectMs", "tlsMs", "firstByteMs", "totalMs"]);
    assertEquals(json.body, "# Welcome\nPlain text line\n=> /png A picture\n");
    assertEquals([json.bodyBytes, json.closeNotify, json.error], [44, true, null]);

    const png = parseGetJson((await get(["--json", site.url("/png")], home)).out);
    assertEquals(png.trust.verdict, "match");
    assertEquals(png.trust.pinned.spkiSha256, json.certificate.spkiSha256);
    assertEquals(png.trust.firstSeen, json.trust.firstSeen);
    assertEquals(png.bodyBase64, btoa(String.fromCharCode(...PNG)));
    assertEquals([png.charset, "body" in png, "bodyOmitted" in png], [null, false, false]);
    const big = parseGetJson((await get(["--json", site.url("/big")], home)).out);
    assertEquals(big.bodyBytes, 1024 * 1024 + 1);
    assertEquals("bodyBase64" in big || "body" in big, false);
    assertEquals(big.bodyOmitted, "size");
    const missing = await get(["--json", site.url("/missing")], home);
    assertEquals(missing.code, 51);
    const described = parseGetJson(missing.out);
    assertEquals([described.status, described.error, described.bodyBytes], [51, null, 0]);
    assertEquals([described.mediaType, described.charset, described.closeNotify], [
      null,
      null,
      null,
    ]);
  });
});

Deno.test("gemini get exits with the final status, and 1 for network failures", async () => {
  await withSite(async (site, home) => {
    const missing = await get([site.url("/missing")], home);
    assertEquals(missing.code, 51);
    assertStringIncludes(missing.err, "51 Not found: Nothing here");
    const input = await get([site.url("/search")], home);
    assertEquals(input.code, 10);
    assertStringIncludes(input.err, "--input");
    const loop = await get([site.url("/loop")], home);
    assertEquals(loop.code, 1);
    assertStringIncludes(loop.err, "Redirect loop");
    const away = await get([site.url("/away")], home);
    assertEquals(away.code, 1);
    assertStringIncludes(away.err, "--allow-scheme-change");
  });
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const home = await Deno.makeTempDir();
  try {
    const refused = await get([`gemini://127.0.0.1:${port}/`], home);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.err, "Cannot connect");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get --input answers a prompt; a terminal prompt works too", async () => {
  await withSite(async (site, home) => {
    const given = await get(["--input", "two words", site.url("/search")], home);
    assertEquals([given.code, given.out], [0, "you said ?two%20words\n"]);
    const typed = await get([site.url("/search")], home, { terminal: true, stdin: "typed\n" });
    assertEquals(typed.code, 0);
    assertStringIncludes(typed.err, "Search for what?");
    assertEquals(typed.out, "you said ?typed\n");
  });
});

Deno.test("gemini get: 60 says how to make an identity; --transient and --identity answer it", async () => {
  await withSite(async (site, home) => {
    const needed = await get([site.url("/private")], home);
    assertEquals(needed.code, 60);
    assertStringIncludes(needed.err, `gemini cert new NAME --scope ${site.url("/private")}\n`);
    assertStringIncludes(needed.err, "--transient");
    const transient = await get(["--transient", site.url("/private")], home);
    assertEquals(transient.code, 0);
    assertMatch(transient.out, /^hello transient-[0-9a-f]{8}\n$/);
    assertStringIncludes(transient.err, "throwaway");
    const store = openIdentityStore(
      resolvePaths((k) => ({ GEMINI_HOME: home } as Record<string, string>)[k]),
    );
    assertEquals(await store.list(), []);
    const { cert, key } = await generateCertificate("carol");
    await store.add(makeIdentity("carol", { cert, key }));
    const forced = await get(["--identity", "carol", site.url("/private")], home);
    assertEquals([forced.code, forced.out], [0, "hello carol\n"]);
    const unknown = memoryIo({ env: { GEMINI_HOME: home } });
    assertEquals(await run(["get", "--identity", "nobody", site.url("/private")], unknown), 2);
    assertStringIncludes(unknown.stderr.text(), 'no identity named "nobody"');
  });
});

Deno.test("gemini get pins the server key across runs; a change exits 1 until --trust-new", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  const next = await generateCertificate("localhost", { altNames: ["localhost"] });
  const server = await startGeminiServer(({ conn }) => answer(conn, "20 text/plain\r\n", "hi\n"), {
    certificate: old,
  });
  const home = await Deno.makeTempDir();
  try {
    assertEquals((await get([server.url("/")], home)).code, 0);
    const knownHosts = await Deno.readTextFile(join(home, "data", "known_hosts"));
    assertStringIncludes(knownHosts, old.info.spkiSha256);
    server.listener.setCertificates([{ cert: next.cert, key: next.key }]);
    const changed = await get([server.url("/changed")], home);
    assertEquals(changed.code, 1);
    assertStringIncludes(changed.err, "--trust-new");
    assertStringIncludes(changed.err, `gemini cert hosts forget localhost:${server.port}`);
    assertStringIncludes(changed.err, `localhost:${server.port} has changed`);
    assertStringIncludes(changed.err, formatFingerprint(old.info.spkiSha256));
    assertStringIncludes(changed.err, formatFingerprint(next.info.spkiSha256));
    assertStringIncludes(changed.err, formatFingerprint(next.info.certSha256));
    assertStringIncludes(
      changed.err,
      `(expires ${old.info.notAfter.toISOString().replace(/\.\d{3}Z$/, "Z")})`,
    );
    assertStringIncludes(changed.err, "No request was sent");
    const off = await get(["--tofu", "off", "--json", server.url("/off")], home);
    assertEquals([off.code, parseGetJson(off.out).trust.verdict], [0, "unchecked"]);
    const warned = await get(["--tofu", "warn", server.url("/warned")], home);
    assertEquals(warned.code, 0);
    assertStringIncludes(warned.err, "warning");
    const accepted = await get(["--trust-new", server.url("/accepted")], home);
    assertEquals(accepted.code, 0);
    assertEquals((await get([server.url("/after")], home)).code, 0);
    // A pin whose certificate has expired is replaced by a different key, and said so.
    const file = join(home, "data", "known_hosts");
    const pinned = await Deno.readTextFile(file);
    assertStringIncludes(pinned, next.info.spkiSha256);
    await Deno.writeTextFile(
      file,
      pinned.replace(next.info.notAfter.toISOString(), "2020-01-01T00:00:00.000Z"),
    );
    server.listener.setCertificates([{ cert: old.cert, key: old.key }]);
    const replaced = await get(["--json", server.url("/replaced")], home);
    assertEquals([replaced.code, parseGetJson(replaced.out).trust.verdict], [
      0,
      "expired-replaced",
    ]);
    assertStringIncludes(await Deno.readTextFile(file), old.info.spkiSha256);
    assertEquals(server.lines.map((l) => new URL(l).pathname), [
      "/",
      "/off",
      "/warned",
      "/accepted",
      "/after",
      "/replaced",
    ]);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get: proxies from --proxy and config.toml; https without one names --proxy", async () => {
  await withSite(async (site, home) => {
    const none = await get(["https://example.org/"], home);
    assertEquals(none.code, 1);
    assertStringIncludes(none.err, "--proxy https=");
    const flagged = await get(
      ["--proxy", `https=gemini://localhost:${site.port}`, "https://example.org/x"],
      home,
    );
    assertEquals([flagged.code, flagged.out], [0, "proxied https://example.org/x\n"]);
    await Deno.mkdir(join(home, "config"), { recursive: true });
    await Deno.writeTextFile(
      join(home, "config", "config.toml"),
      `[proxies]\nhttp = "gemini://localhost:${site.port}"\n`,
    );
    const configured = await get(["http://example.org/y"], home);
    assertEquals([configured.code, configured.out], [0, "proxied http://example.org/y\n"]);
  });
});

Deno.test("gemini get: limits, retries, truncation and charsets on stderr", async () => {
  await withSite(async (site, home) => {
    const big = await get(["--max-size", "1K", site.url("/big")], home);
    assertEquals(big.code, 1);
    assertStringIncludes(big.err, "1024 bytes");
    const slow = await get([site.url("/slow")], home);
    assertEquals([slow.code, slow.out], [0, "patience\n"]);
    assertStringIncludes(slow.err, "44 Slow down");
    assertStringIncludes(slow.err, "retry 1 of 3 in 0 s");
    const cut = await get([site.url("/cut")], home);
    assertEquals([cut.code, cut.out], [0, "cut short"]);
    assertStringIncludes(cut.err, "may be truncated");
    const klingon = await get([site.url("/klingon")], home, { terminal: true });
    assertEquals(klingon.code, 1);
    assertStringIncludes(klingon.err, "x-klingon");
    assertStringIncludes(klingon.err, "--raw");
    const raw = await get(["--raw", site.url("/klingon")], home, { terminal: true });
    assertEquals([raw.code, raw.out], [0, "qapla'\n"]);
    // --json keeps the bytes of a body it cannot decode (bodyBase64), says why in error
    // and exits 1.
    const json = await get(["--json", site.url("/klingon")], home);
    assertEquals(json.code, 1);
    assertStringIncludes(json.err, "x-klingon");
    const described = parseGetJson(json.out);
    assertEquals([described.body, described.bodyBase64], [undefined, btoa("qapla'\n")]);
    assertEquals([described.status, described.charset, described.error.code], [
      20,
      null,
      "charset",
    ]);
    const rawJson = await get(["--json", "--raw", site.url("/latin1")], home);
    assertEquals(rawJson.code, 0);
    const latin = parseGetJson(rawJson.out);
    assertEquals(latin.bodyBase64, btoa(String.fromCharCode(...LATIN1)));
    assertEquals(latin.charset, "iso-8859-1");
  });
});

Deno.test("gemini get refuses gopher without --allow-gopher", async () => {
  const selectors: string[] = [];
  const gopher = net.createServer((socket) => {
    socket.on("data", (chunk) => {
      selectors.push(new TextDecoder().decode(chunk));
      socket.end("iHello gopher\tfake\tfake\t0\r\n.\r\n");
    });
  });
  await new Promise<void>((resolve) => gopher.listen(0, "127.0.0.1", resolve));
  const port = (gopher.address() as net.AddressInfo).port;
  const home = await Deno.makeTempDir();
  try {
    const refused = await get([`gopher://127.0.0.1:${port}/`], home);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.err, "--allow-gopher");
    assertEquals(selectors, []);
    const allowed = await get(["--allow-gopher", `gopher://127.0.0.1:${port}/`], home);
    assertEquals(allowed.code, 0);
    assertStringIncludes(allowed.out, "Hello gopher");
    const asked = await get([`gopher://127.0.0.1:${port}/`], home, {
      terminal: true,
      stdin: "y\n",
    });
    assertEquals(asked.code, 0);
    assertStringIncludes(asked.err, "NOT encrypted");
  } finally {
    await new Promise<void>((resolve) => gopher.close(() => resolve()));
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini get: a hidden prompt for 11, --timeout, and an encrypted identity's passphrase", async () => {
  await withSite(async (site, home) => {
    const typed = await get([site.url("/password")], home, { terminal: true, stdin: "hunter2\r" });
    assertEquals([typed.code, typed.out], [0, "password ?hunter2\n"]);
    assertStringIncludes(typed.err, "Password (hidden): ");
    const piped = await get([site.url("/password")], home, { stdin: "hunter2\n" });
    assertEquals(piped.code, 11);
    const slow = await get(["--timeout", "0.1", site.url("/silent")], home);
    assertEquals(slow.code, 1);
    assertStringIncludes(slow.err, "100 ms");
    const paths = resolvePaths((k) => ({ GEMINI_HOME: home } as Record<string, string>)[k]);
    const { cert, key } = await generateCertificate("dave");
    await openIdentityStore(paths).add(
      makeIdentity("dave", { cert, key: encryptKey(key, "pw"), passphrase: "pw" }),
    );
    const locked = await get(["--identity", "dave", site.url("/private")], home);
    assertEquals(locked.code, 1);
    assertStringIncludes(locked.err, "passphrase");
    assertStringIncludes(locked.err, "set GEMINI_IDENTITY_PASSPHRASE or run on a terminal");
    const unlocked = await get(["--identity", "dave", site.url("/private")], home, {
      env: { GEMINI_IDENTITY_PASSPHRASE: "pw" },
    });
    assertEquals([unlocked.code, unlocked.out], [0, "hello dave\n"]);
    const wrong = await get(["--identity", "dave", site.url("/private")], home, {
      env: { GEMINI_IDENTITY_PASSPHRASE: "not it" },
    });
    assertEquals([wrong.code, wrong.out], [1, ""]);
    assertStringIncludes(wrong.err, 'Wrong passphrase for the key of identity "dave"');
    // On a terminal the passphrase is asked once, hidden, and used.
    const prompted = await get(["--identity", "dave", site.url("/private")], home, {
      terminal: true,
      stdin: "pw\n",
    });
    assertEquals([prompted.code, prompted.out], [0, "hello dave\n"]);
    assertEquals(prompted.err.split('Passphrase for identity "dave"').length, 2);
  });
});

// ---------------------------------------------------------------------------------------
// through the ./gemini launcher, as a user runs it

function launcher(args: string[], home: string): Promise<LauncherResult> {
  return runGemini(["get", ...args], home);
}

Deno.test("./gemini get: bytes to a pipe, exit codes and pins across processes", async () => {
  await withSite(async (site, home) => {
    const png = await launcher([site.url("/png")], home);
    assertEquals([png.code, png.stdout], [0, PNG]);
    const missing = await launcher([site.url("/missing")], home);
    assertEquals(missing.code, 51);
    assertStringIncludes(missing.stderr, "Nothing here");
    const json = await launcher(["--json", site.url("/")], home);
    assertEquals(parseGetJson(json.stdout).trust.verdict, "match");
    const usage = await launcher(["--tofu", "sometimes", site.url("/")], home);
    assertEquals(usage.code, 2);
    // A reader that stops early (`| head -c 1`) ends get quietly, with the status's code.
    const child = new Deno.Command(GEMINI, {
      args: ["get", site.url("/big")],
      env: { GEMINI_HOME: home },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    assert(!(await reader.read()).done);
    await reader.cancel();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assertEquals([status.code, stderr], [0, ""]);
  });
});
