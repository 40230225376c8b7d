/**
 * The written contract of `gemini get` (README, "gemini get"), clause by clause, over real
 * TLS on 127.0.0.1: diagnostics reach stderr before exit, `--json` prints exactly one
 * object (valid against schemas/get-output.schema.json) with a stable error code on every
 * exit 1, one retry budget, redirects that can be observed, schemes without a fetch, the
 * undefined statuses and the JSON fields. Each misbehaviour of issue 12 has a named
 * regression test here.
 */

import net from "node:net";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import {
  answer,
  type GeminiTestRequest,
  type GeminiTestServer,
  startGeminiServer,
} from "../_helpers/gemini_server.ts";
import { GET_OUTPUT_SCHEMA, parseGetJson, schemaErrors } from "../_helpers/get_json.ts";
import { GEMINI, ROOT } from "../_helpers/launcher.ts";
import { main } from "../../lib/cli/get.ts";
import { errorCode, GET_ERROR_CODES } from "../../lib/cli/get_report.ts";
import { memoryIo, type MemoryIoOptions } from "../../lib/cli/io.ts";
import { run } from "../../lib/cli/run.ts";
import { ClientError } from "../../lib/client/types.ts";
import { encryptKey, makeIdentity, openIdentityStore } from "../../lib/client/identities.ts";
import { resolvePaths } from "../../lib/files/paths.ts";
import { DialError } from "../../lib/tls/dial.ts";
import { type CertificateBundle, generateCertificate } from "../../lib/tls/certificate.ts";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function get(args: string[], home: string, options: MemoryIoOptions = {}): Promise<Run> {
  const io = memoryIo({ ...options, env: { GEMINI_HOME: home, NO_COLOR: "1", ...options.env } });
  const code = await main(args, io);
  return { code, out: io.stdout.text(), err: io.stderr.text() };
}

/** `get --json ARGS`: the exit code, the (schema-checked) object and stderr. */
async function getJson(
  args: string[],
  home: string,
  options: MemoryIoOptions = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ code: number; json: any; err: string }> {
  const io = memoryIo({ ...options, env: { GEMINI_HOME: home, NO_COLOR: "1", ...options.env } });
  let code: number;
  try {
    code = await main(["--json", ...args], io);
  } catch {
    // a usage error: run() turns it into exit status 2
    code = 2;
  }
  return { code, json: parseGetJson(io.stdout.text()), err: io.stderr.text() };
}

/** A server whose answer is chosen by the request path; counts requests per path. */
async function withRoutes(
  routes: Record<string, string | ((request: GeminiTestRequest) => Promise<void> | void)>,
  fn: (server: GeminiTestServer, home: string, hits: (path: string) => number) => Promise<void>,
  options: { certificate?: CertificateBundle } = {},
): Promise<void> {
  const server = await startGeminiServer(async (request) => {
    const url = new URL(request.line);
    const route = routes[url.pathname + url.search] ?? routes[url.pathname];
    if (typeof route === "function") return await route(request);
    return answer(request.conn, `${route ?? "51 No route"}\r\n`, `${url.pathname}\n`);
  }, options);
  const home = await Deno.makeTempDir({ prefix: "gemini-contract-" });
  const hits = (path: string): number =>
    server.lines.filter((l) => {
      const u = new URL(l);
      return u.pathname + u.search === path;
    }).length;
  try {
    await fn(server, home, hits);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------
// 1. Every diagnostic reaches stderr before the process exits

Deno.test("contract 1: a stderr write nobody awaits is complete when the process exits at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "exit_now.ts");
    await Deno.writeTextFile(
      script,
      `import { processIo } from ${JSON.stringify(join(ROOT, "lib/cli/io.ts"))};\n` +
        `void processIo().stderr.write("warning: may be truncated\\n");\n` +
        `Deno.exit(3);\n`,
    );
    const runs = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "--quiet", "--allow-all", "--config", join(ROOT, "deno.json"), script],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        // Read only after the process has exited.
        const status = await child.status;
        return { code: status.code, err: await new Response(child.stderr).text() };
      }),
    );
    for (const r of runs) assertEquals(r, { code: 3, err: "warning: may be truncated\n" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("contract 1: ./gemini get's truncation and --tofu warn warnings reach a stderr pipe read after exit", async () => {
  const first = await generateCertificate("localhost", { altNames: ["localhost", "127.0.0.1"] });
  const second = await generateCertificate("localhost", { altNames: ["localhost", "127.0.0.1"] });
  await withRoutes({
    "/cut": async ({ conn }) => {
      await conn.write("20 text/plain\r\ncut short");
      conn.destroy();
    },
    "/page": "20 text/plain",
  }, async (server, home) => {
    const spawn = async (args: string[]): Promise<{ code: number; err: string }> => {
      const child = new Deno.Command(GEMINI, {
        args: ["get", ...args],
        env: { GEMINI_HOME: home, NO_COLOR: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const status = await child.status;
      // Late: the process is gone before a byte of its stderr is read.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { code: status.code, err: await new Response(child.stderr).text() };
    };
    // Several at once, as a busy machine runs them.
    const cut = await Promise.all(Array.from({ length: 6 }, () => spawn([server.url("/cut")])));
    for (const r of cut) {
      assertEquals(r.code, 0, r.err);
      assertStringIncludes(r.err, "without TLS close_notify; the body (9 bytes) may be truncated");
    }
    // The first key is pinned now; present another one.
    server.listener.setCertificates([{ cert: second.cert, key: second.key }]);
    const warned = await Promise.all(
      Array.from({ length: 6 }, () => spawn(["--tofu", "warn", server.url("/page")])),
    );
    for (const r of warned) {
      assertEquals(r.code, 0, r.err);
      assertStringIncludes(r.err, "gemini get: warning: The certificate of localhost:");
      assertStringIncludes(r.err, "Going on because --tofu=warn");
    }
  }, { certificate: first });
});

// ---------------------------------------------------------------------------------------
// 2. --json always prints exactly one object; every exit 1 has a stable error.code

Deno.test("contract 2: the schema, the error codes of get_report.ts and the README list the same codes", async () => {
  const properties = GET_OUTPUT_SCHEMA.properties as Record<string, Record<string, unknown>>;
  const errorProperties = properties.error.properties as Record<string, { enum: string[] }>;
  assertEquals(errorProperties.code.enum.toSorted(), Object.keys(GET_ERROR_CODES).toSorted());
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.slice(readme.indexOf("## gemini get"), readme.indexOf("## gemini browse"));
  for (const code of Object.keys(GET_ERROR_CODES)) {
    assertStringIncludes(section, `| \`${code}\``, `README error code table: ${code}`);
  }
  // The validator does reject what breaks the contract.
  assert(schemaErrors({ url: "gemini://x/" }).length > 0);
  const ok = parseGetJson(
    JSON.stringify({
      url: "gemini://x/",
      status: null,
      handledAs: null,
      meta: null,
      mediaType: null,
      charset: null,
      lang: null,
      target: null,
      redirects: [],
      tls: null,
      certificate: null,
      trust: null,
      retries: null,
      timing: null,
      bodyBytes: 0,
      closeNotify: null,
      error: { code: "connect", message: "refused" },
    }) + "\n",
  );
  assertEquals(ok.error.code, "connect");
  assert(schemaErrors({ ...ok, error: null }).length > 0, "no answer and no error");
  assert(schemaErrors({ ...ok, error: { code: "nope", message: "x" } }).length > 0);
  assert(schemaErrors({ ...ok, body: "a", bodyBase64: "YQ==" }).length > 0);
});

Deno.test("contract 2 (regression): --json prints one object for a refused connection, exit 1, error.code connect", async () => {
  const home = await Deno.makeTempDir();
  try {
    const port = await closedPort();
    const { code, json, err } = await getJson([`gemini://127.0.0.1:${port}/`], home);
    assertEquals(code, 1);
    assertEquals(json.error.code, "connect");
    assertStringIncludes(json.error.message, `127.0.0.1:${port}`);
    assertEquals([json.url, json.status, json.certificate, json.trust], [
      `gemini://127.0.0.1:${port}/`,
      null,
      null,
      null,
    ]);
    assertStringIncludes(err, "Cannot connect");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("contract 2 (regression): --json on a refused changed key holds the certificate and both fingerprints", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  const next = await generateCertificate("localhost", { altNames: ["localhost"] });
  await withRoutes({ "/": "20 text/plain" }, async (server, home) => {
    const pinned = await getJson([server.url("/")], home);
    assertEquals(pinned.code, 0);
    server.listener.setCertificates([{ cert: next.cert, key: next.key }]);
    const { code, json } = await getJson([server.url("/")], home);
    assertEquals(code, 1);
    assertEquals(json.error.code, "trust-changed");
    assertEquals([json.status, json.url], [null, server.url("/")]);
    assertEquals(json.certificate.spkiSha256, next.info.spkiSha256);
    assertEquals(json.trust.verdict, "changed-refused");
    assertEquals(json.trust.pinned.spkiSha256, old.info.spkiSha256);
    assertEquals(json.trust.presented.spkiSha256, next.info.spkiSha256);
    assertEquals(json.trust.firstSeen, pinned.json.trust.firstSeen);
    assertEquals(server.lines.length, 1, "nothing sent after the refusal");
  }, { certificate: old });
});

Deno.test("contract 2 (regression): --json on an invalid header, a redirect limit, a loop and a scheme change", async () => {
  await withRoutes({
    "/bad": "2x text/plain",
    "/a": "30 /b",
    "/b": "30 /c",
    "/c": "20 text/plain",
    "/loop": "30 /loop2",
    "/loop2": "30 /loop",
    "/away": "30 gopher://127.0.0.1:1/",
  }, async (server, home) => {
    const bad = await getJson([server.url("/bad")], home);
    assertEquals([bad.code, bad.json.error.code, bad.json.status], [1, "invalid-header", null]);
    assertEquals(bad.json.trust.verdict, "first-use");
    assertEquals(bad.json.tls.version, "TLSv1.3");
    assert(bad.json.certificate.spkiSha256.length === 64);

    const limit = await getJson(["--max-redirects", "1", server.url("/a")], home);
    assertEquals([limit.code, limit.json.error.code], [1, "redirect-limit"]);
    assertEquals(limit.json.redirects, [server.url("/a")]);
    assertEquals(limit.json.url, server.url("/b"));
    assertEquals(limit.json.trust.verdict, "match");

    const loop = await getJson([server.url("/loop")], home);
    assertEquals([loop.code, loop.json.error.code], [1, "redirect-loop"]);
    assertEquals([loop.json.url, loop.json.redirects], [server.url("/loop2"), [
      server.url("/loop"),
    ]]);

    const away = await getJson([server.url("/away")], home);
    assertEquals([away.code, away.json.error.code], [1, "scheme-change"]);
    assertStringIncludes(away.json.error.message, "--allow-scheme-change");
  });
});

Deno.test("contract 2: --json error codes for timeout, tls, too-large, file, url, identity, insecure-refused, config and usage", async () => {
  const sockets = new Set<net.Socket>();
  const garbage = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.end("this is not TLS\r\n");
  });
  await new Promise<void>((resolve) => garbage.listen(0, "127.0.0.1", resolve));
  const tlsPort = (garbage.address() as net.AddressInfo).port;
  try {
    await withRoutes({
      "/silent": () => {},
      "/big": ({ conn }) => answer(conn, "20 application/octet-stream\r\n", new Uint8Array(4096)),
      "/ask": "10 Name?",
      "/ok": "20 text/plain",
    }, async (server, home) => {
      const slow = await getJson(["--timeout", "0.2", server.url("/silent")], home);
      assertEquals([slow.code, slow.json.error.code], [1, "timeout"]);
      assertEquals(slow.json.trust.verdict, "first-use");

      const tls = await getJson([`gemini://127.0.0.1:${tlsPort}/`], home);
      assertEquals([tls.code, tls.json.error.code], [1, "tls"]);

      const big = await getJson(["--max-size", "1K", server.url("/big")], home);
      assertEquals([big.code, big.json.error.code, big.json.status], [1, "too-large", 20]);
      assertEquals([big.json.bodyBytes, big.json.bodyOmitted], [1024, "error"]);

      const file = await getJson(["-o", join(home, "no", "such", "dir"), server.url("/ok")], home);
      assertEquals([file.code, file.json.error.code, file.json.status], [1, "file", 20]);

      const long = await getJson(["--input", "x".repeat(1100), server.url("/ask")], home);
      assertEquals([long.code, long.json.error.code], [1, "url"]);

      const paths = resolvePaths((k) => ({ GEMINI_HOME: home } as Record<string, string>)[k]);
      const { cert, key } = await generateCertificate("locked");
      await openIdentityStore(paths).add(
        makeIdentity("locked", { cert, key: encryptKey(key, "pw"), passphrase: "pw" }),
      );
      const locked = await getJson(["--identity", "locked", server.url("/ok")], home);
      assertEquals([locked.code, locked.json.error.code], [1, "identity"]);

      const gopher = await getJson(["gopher://127.0.0.1:1/"], home);
      assertEquals([gopher.code, gopher.json.error.code], [1, "insecure-refused"]);

      await Deno.mkdir(join(home, "config"), { recursive: true });
      await Deno.writeTextFile(join(home, "config", "config.toml"), "[client]\nretries = -1\n");
      const config = await getJson([server.url("/ok")], home);
      assertEquals([config.code, config.json.error.code], [1, "config"]);
      assertStringIncludes(config.json.error.message, "retries");
      await Deno.remove(join(home, "config", "config.toml"));

      const usage = await getJson(["--tofu", "maybe", server.url("/ok")], home);
      assertEquals([usage.code, usage.json.error.code, usage.json.url], [
        2,
        "usage",
        server.url("/ok"),
      ]);
      for (const other of ["-I", "--dry-run"]) {
        const both = await getJson([other, server.url("/ok")], home);
        assertEquals([both.code, both.json.error.code], [2, "usage"]);
      }
      const io = memoryIo({ env: { GEMINI_HOME: home } });
      assertEquals(await run(["get", "--json", "--jsno", server.url("/ok")], io), 2);
      assertEquals(parseGetJson(io.stdout.text()).error.code, "usage");
      assertStringIncludes(io.stderr.text(), "did you mean --json?");
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
  }
});

Deno.test("contract 2: errorCode() maps DNS failures, connection failures and file errors", () => {
  const dns = new ClientError("network", "Cannot connect to nowhere.invalid:1965: not found", {
    cause: new DialError("Cannot connect", "ENOTFOUND"),
  });
  assertEquals(errorCode(dns), "dns");
  const again = new ClientError("network", "Cannot connect", {
    cause: new DialError("getaddrinfo EAI_AGAIN nowhere.invalid", "EAI_AGAIN"),
  });
  assertEquals(errorCode(again), "dns");
  const refused = new ClientError("network", "Cannot connect", {
    cause: new DialError("refused", "ECONNREFUSED"),
  });
  assertEquals(errorCode(refused), "connect");
  assertEquals(errorCode(new ClientError("network", "Reading the body failed")), "network");
  const saved = new Error("disk full; the 7 bytes received are in x.part", {
    cause: new Deno.errors.PermissionDenied("denied"),
  });
  assertEquals(errorCode(saved), "file");
  const wrapped = new Error("the body stopped", { cause: new ClientError("too-large", "big") });
  assertEquals(errorCode(wrapped), "too-large");
  assertEquals(errorCode(new TypeError("a bug")), "internal");
});

// ---------------------------------------------------------------------------------------
// 3. One --retries governs every automatic retry; input is sent once

Deno.test("contract 3 (regression): --retries 0 sends exactly once after 40, 41, 43 and 44", async () => {
  await withRoutes({
    "/40": "40 busy",
    "/41": "41 maintenance",
    "/43": "43 upstream down",
    "/44": "44 0",
  }, async (server, home, hits) => {
    for (const status of [40, 41, 43, 44]) {
      const { code, json } = await getJson(["--retries", "0", server.url(`/${status}`)], home);
      assertEquals(code, status);
      assertEquals(hits(`/${status}`), 1, `status ${status}`);
      assertEquals(json.retries, { count: 0, waitedSeconds: 0, stopped: "retries" });
      assertEquals(json.error, null);
    }
  });
});

Deno.test("contract 3 (regression): an --input answer is posted once, even when the server answers 40 or 44", async () => {
  await withRoutes({
    "/guestbook": "10 Your message?",
    "/guestbook?hello": "40 try again",
    "/book": "10 Your message?",
    "/book?hi": "44 0",
  }, async (server, home, hits) => {
    const posted = await get(["--input", "hello", server.url("/guestbook")], home);
    assertEquals(posted.code, 40);
    assertEquals(hits("/guestbook?hello"), 1);
    assertStringIncludes(posted.err, "--retry-input");
    const slow = await getJson(["--input", "hi", server.url("/book")], home);
    assertEquals([slow.code, slow.json.retries.stopped], [44, "input"]);
    assertEquals(hits("/book?hi"), 1);
    // Asked for: --retry-input re-sends it within the same budgets.
    const again = await getJson(
      [
        "--input",
        "hello",
        "--retry-input",
        "--retries",
        "1",
        "--max-wait",
        "1",
        server.url(
          "/guestbook",
        ),
      ],
      home,
    );
    assertEquals([again.code, again.json.retries.count], [40, 1]);
    assertEquals(hits("/guestbook?hello"), 3);
  });
});

Deno.test("contract 3 (regression): --max-wait 0 means no retry that needs a wait, not retries without waits", async () => {
  await withRoutes({ "/40": "40 busy", "/44": "44 slow down" }, async (server, home, hits) => {
    for (const path of ["/40", "/44"]) {
      const { json } = await getJson(["--max-wait", "0", server.url(path)], home);
      assertEquals(hits(path), 1, path);
      assertEquals(json.retries.stopped, "max-wait");
    }
  });
});

Deno.test("contract 3: all waits together stay within --max-wait; the next is not made early", async () => {
  await withRoutes({ "/storm": "44 1" }, async (server, home, hits) => {
    const started = performance.now();
    const { code, json, err } = await getJson(
      ["--retries", "5", "--max-wait", "2", server.url("/storm")],
      home,
    );
    const elapsed = performance.now() - started;
    assertEquals(code, 44);
    assertEquals(hits("/storm"), 3);
    assertEquals(json.retries, { count: 2, waitedSeconds: 2, stopped: "max-wait" });
    assert(elapsed >= 1900, `waited ${elapsed} ms`);
    assertStringIncludes(err, "retry 1 of 5 in 1 s");
    assertStringIncludes(err, "retry 2 of 5 in 1 s");
  });
});

Deno.test("contract 3 (regression): `44 90` is answered at once by default, not after minutes of waits", async () => {
  await withRoutes({ "/busy": "44 90" }, async (server, home, hits) => {
    const child = new Deno.Command(GEMINI, {
      args: ["get", server.url("/busy")],
      env: { GEMINI_HOME: home, NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Bounded: a run that waits is killed (and fails the test) after 20 s.
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const started = performance.now();
    const status = await child.status;
    clearTimeout(killer);
    const err = await new Response(child.stderr).text();
    assertEquals(status.code, 44, err);
    assert(performance.now() - started < 15_000);
    assertEquals(hits("/busy"), 1);
    assertStringIncludes(err, "--max-wait 30");
  });
});

Deno.test("contract 3: on a terminal each retry wait counts down on stderr", async () => {
  let sent = 0;
  await withRoutes({
    "/": ({ conn }) =>
      sent++ === 0 ? answer(conn, "44 2\r\n") : answer(conn, "20 text/plain\r\n", "ok\n"),
  }, async (server, home) => {
    const result = await get([server.url("/")], home, { terminal: true });
    assertEquals(result.code, 0);
    assertStringIncludes(result.err, "\rgemini get: 44 Slow down from localhost");
    assertStringIncludes(result.err, "retry 1 of 3 in 2 s (Ctrl-C stops)");
    assertStringIncludes(result.err, "retry 1 of 3 in 1 s (Ctrl-C stops)");
    assertMatch(result.err, /\n$/);
  });
});

// ---------------------------------------------------------------------------------------
// 4. A redirect can be observed

Deno.test("contract 4 (regression): --no-follow and --max-redirects 0 make a 3x the answer, exit 30 or 31", async () => {
  await withRoutes({
    "/old": "30 /new?x=1",
    "/moved": "31 gemini://example.org/elsewhere",
    "/empty": "30 ",
  }, async (server, home, hits) => {
    const plain = await get(["--no-follow", server.url("/old")], home);
    assertEquals([plain.code, plain.out], [30, ""]);
    assertStringIncludes(plain.err, `points to ${server.url("/new?x=1")}`);
    const include = await get(["-i", "--max-redirects", "0", server.url("/old")], home);
    assertEquals([include.code, include.out], [30, "30 /new?x=1\r\n"]);
    const head = await get(["-I", "--no-follow", server.url("/moved")], home);
    assertEquals([head.code, head.out], [31, "31 gemini://example.org/elsewhere\r\n"]);
    const { code, json } = await getJson(["--max-redirects", "0", server.url("/moved")], home);
    assertEquals(code, 31);
    assertEquals([json.status, json.meta, json.target], [
      31,
      "gemini://example.org/elsewhere",
      "gemini://example.org/elsewhere",
    ]);
    assertEquals([json.redirects, json.bodyBytes, json.error], [[], 0, null]);
    assertEquals(["body" in json, "bodyBase64" in json, "bodyOmitted" in json], [
      false,
      false,
      false,
    ]);
    assertEquals(hits("/new"), 0);
    // A 3x without a valid target is still an invalid header.
    const empty = await getJson(["--no-follow", server.url("/empty")], home);
    assertEquals([empty.code, empty.json.error.code], [1, "invalid-header"]);
  });
});

// ---------------------------------------------------------------------------------------
// 5. Schemes without a network fetch

Deno.test("contract 5 (regression): mailto:, about: and other schemes without a server exit 1 with error.code scheme", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (
      const [url, says] of [
        ["mailto:someone@example.org", "e-mail address"],
        ["about:blank", "page of a browser"],
        ["news:comp.lang.misc", "names no server"],
        ["foo://example.org/x", "foo scheme is not supported"],
        ["https://example.org/", "--proxy https="],
      ]
    ) {
      const io = memoryIo({ env: { GEMINI_HOME: home } });
      assertEquals(await run(["get", url], io), 1, url);
      assertStringIncludes(io.stderr.text(), says);
      const { code, json } = await getJson([url], home);
      assertEquals([code, json.error.code, json.url], [1, "scheme", url]);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("contract 5 (regression): data: URLs are decoded locally", async () => {
  const home = await Deno.makeTempDir();
  try {
    const text = await get(["data:,Hello%2C%20world"], home);
    assertEquals([text.code, text.out, text.err], [0, "Hello, world", ""]);
    const gemtext = await get(
      [`data:text/gemini;base64,${btoa("# Hi\n=> gemini://x.org/ A\n")}`],
      home,
      {
        terminal: true,
        columns: 60,
      },
    );
    assertEquals([gemtext.code, gemtext.out], [0, "# Hi\n[1] A\n\n[1] gemini://x.org/\n"]);
    const { code, json } = await getJson(["data:,Hello%2C%20world"], home);
    assertEquals(code, 0);
    assertEquals([json.status, json.mediaType, json.charset, json.body], [
      20,
      "text/plain",
      "us-ascii",
      "Hello, world",
    ]);
    assertEquals([json.tls, json.certificate, json.trust, json.timing], [null, null, null, null]);
    const png = await getJson(["data:image/png;base64,iVBORw0KGgo="], home);
    assertEquals([png.json.mediaType, png.json.bodyBase64, png.json.bodyBytes], [
      "image/png",
      "iVBORw0KGgo=",
      8,
    ]);
    const bad = memoryIo({ env: { GEMINI_HOME: home } });
    assertEquals(await run(["get", "data:no-comma"], bad), 2);
    assertStringIncludes(bad.stderr.text(), "no comma");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// 6. An undefined status is handled as its class's base code

Deno.test("contract 6 (regression): undefined statuses exit as their class (29 as 20, 19 as 10, 49 as 40, 58 as 50, 69 as 60)", async () => {
  await withRoutes({
    "/29": "29 text/plain",
    "/19": "19 Say something",
    "/49": "49 odd",
    "/58": "58 odd",
    "/69": "69 odd",
    "/39": "39 /29",
  }, async (server, home, hits) => {
    for (
      const [path, exit, handled] of [
        ["/29", 0, 20],
        ["/19", 10, 10],
        ["/49", 40, 40],
        ["/58", 50, 50],
        ["/69", 60, 60],
      ] as const
    ) {
      const { code, json } = await getJson(["--retries", "0", server.url(path)], home);
      assertEquals([code, json.status, json.handledAs], [exit, Number(path.slice(1)), handled]);
    }
    assertEquals((await get([server.url("/29")], home)).out, "/29\n");
    // 49 is retried as a 40 would be.
    const retried = await getJson(["--retries", "1", "--max-wait", "1", server.url("/49")], home);
    assertEquals(retried.json.retries.count, 1);
    assertEquals(hits("/49"), 3);
    // 39 is followed as a 30 would be; not followed, it exits 30.
    const followed = await getJson([server.url("/39")], home);
    assertEquals([followed.code, followed.json.url, followed.json.redirects], [
      0,
      server.url(
        "/29",
      ),
      [server.url("/39")],
    ]);
    const stopped = await get(["--no-follow", server.url("/39")], home);
    assertEquals(stopped.code, 30);
    assertStringIncludes(stopped.err, "39 Temporary redirect (undefined code, handled as 30)");
  });
});

// ---------------------------------------------------------------------------------------
// 7. JSON: the effective charset, the whole trust check, an omitted body says so

Deno.test("contract 7 (regression): charset is the effective one, for a missing parameter and an empty META alike", async () => {
  await withRoutes({
    "/plain": "20 text/gemini",
    "/empty": "20",
    "/latin": "20 text/plain; charset=ISO-8859-1",
    "/bin": ({ conn }) =>
      answer(conn, "20 application/octet-stream\r\n", new Uint8Array(1024 * 1024 + 1)),
  }, async (server, home) => {
    const plain = await getJson([server.url("/plain")], home);
    const empty = await getJson([server.url("/empty")], home);
    const latin = await getJson([server.url("/latin")], home);
    assertEquals([plain.json.charset, empty.json.charset, latin.json.charset], [
      "utf-8",
      "utf-8",
      "iso-8859-1",
    ]);
    assertEquals([empty.json.meta, empty.json.mediaType], ["", "text/gemini"]);
    const big = await getJson([server.url("/bin")], home);
    assertEquals([big.code, big.json.bodyOmitted, big.json.bodyBytes], [
      0,
      "size",
      1024 * 1024 + 1,
    ]);
    const saved = await getJson(["-o", join(home, "saved.bin"), server.url("/bin")], home);
    assertEquals([saved.json.bodyOmitted, saved.json.closeNotify], ["file", true]);
  });
});

Deno.test("contract 7 (regression): trust holds the verdict, pinned and presented fingerprints and the first-seen date", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  const next = await generateCertificate("localhost", { altNames: ["localhost"] });
  await withRoutes({ "/": "20 text/plain" }, async (server, home) => {
    const first = await getJson([server.url("/")], home);
    assertEquals(first.json.trust.verdict, "first-use");
    server.listener.setCertificates([{ cert: next.cert, key: next.key }]);
    const warned = await getJson(["--tofu", "warn", server.url("/")], home);
    assertEquals(warned.code, 0);
    assertEquals(warned.json.trust, {
      verdict: "changed-warned",
      pinned: {
        pin: "spki",
        spkiSha256: old.info.spkiSha256,
        certSha256: old.info.certSha256,
        notAfter: old.info.notAfter.toISOString(),
        firstSeen: first.json.trust.firstSeen,
      },
      presented: { spkiSha256: next.info.spkiSha256, certSha256: next.info.certSha256 },
      firstSeen: first.json.trust.firstSeen,
    });
    const accepted = await getJson(["--trust-new", server.url("/")], home);
    assertEquals(accepted.json.trust.verdict, "changed-accepted");
    assertEquals(accepted.json.trust.pinned.spkiSha256, old.info.spkiSha256);
    assert(accepted.json.trust.firstSeen >= first.json.trust.firstSeen);
    const off = await getJson(["--tofu", "off", server.url("/")], home);
    assertEquals(off.json.trust, {
      verdict: "unchecked",
      pinned: null,
      presented: { spkiSha256: next.info.spkiSha256, certSha256: next.info.certSha256 },
      firstSeen: null,
    });
  }, { certificate: old });
});
