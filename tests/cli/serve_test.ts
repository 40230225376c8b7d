import { type ServeIo, whileServing } from "./_serve.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { DeadlineError, withDeadline } from "../../lib/tls/deadline.ts";
import { join } from "node:path";
import { GEMINI } from "../_helpers/launcher.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { run } from "../../lib/cli/run.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { formatFingerprint } from "../../lib/tls/fingerprint.ts";
import { certificateWarnings } from "../../lib/cli/serve_certificates.ts";
import { fetchUrl } from "../server/_harness.ts";

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<{ text: string; match: RegExpExecArray }> {
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(text);
    if (match) return { text, match };
    const next = await withDeadline(reader.read(), { at: deadline }).catch((error) => {
      if (error instanceof DeadlineError) return "timeout" as const;
      throw error;
    });
    if (next === "timeout" || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  throw new Error(`did not see ${pattern} in time; output so far:\n${text}`);
}

async function startCli(home: string, args: string[]): Promise<{
  child: Deno.ChildProcess;
  stderr: ReadableStreamDefaultReader<Uint8Array>;
  port: number;
  startup: string;
}> {
  const child = new Deno.Command(GEMINI, {
    args: ["serve", "--listen", "127.0.0.1:0", ...args],
    env: { GEMINI_HOME: home },
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = child.stderr.getReader();
  try {
    const { text, match } = await readUntil(stderr, /listening on 127\.0\.0\.1:(\d+)\n/, 60_000);
    return { child, stderr, port: Number(match[1]), startup: text };
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  }
}

async function stopCli(
  p: { child: Deno.ChildProcess; stderr: ReadableStreamDefaultReader<Uint8Array> },
): Promise<Deno.CommandStatus> {
  p.child.kill("SIGTERM");
  // Drain stderr so the child never blocks on a full pipe.
  (async () => {
    try {
      while (!(await p.stderr.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
  return await p.child.status;
}

Deno.test("gemini serve (subprocess) serves the welcome capsule, reuses its certificate and exits 0 on SIGTERM", async () => {
  const home = await Deno.makeTempDir({ prefix: "gemini-serve-" });
  try {
    const first = await startCli(home, []);
    let spki: string;
    try {
      assertStringIncludes(first.startup, "generated a certificate for localhost");
      spki = /SPKI SHA-256:\s+([0-9A-F:]+)/.exec(first.startup)![1];
      const r = await fetchUrl(first.port, `gemini://localhost:${first.port}/`);
      assertEquals(r.header, "20 text/gemini");
      assertStringIncludes(r.text, "# It works: gemini serve");
      assertEquals(formatFingerprint(r.peerCertificate.spkiSha256), spki);
      const page = await fetchUrl(first.port, `gemini://localhost:${first.port}/docs/serve.gmi`);
      assertEquals(page.status, 20);
    } finally {
      const status = await stopCli(first);
      assertEquals(status.code, 0);
    }
    const key = await Deno.stat(join(home, "data", "server", "localhost.key"));
    assertEquals(key.mode! & 0o777, 0o600);
    const second = await startCli(home, []);
    try {
      assert(!second.startup.includes("generated a certificate"), second.startup);
      const r = await fetchUrl(second.port, `gemini://localhost:${second.port}/`);
      assertEquals(formatFingerprint(r.peerCertificate.spkiSha256), spki);
    } finally {
      assertEquals((await stopCli(second)).code, 0);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

async function inProcess(
  args: string[],
  body: (port: number, io: ServeIo) => Promise<void>,
): Promise<ServeIo> {
  const home = await Deno.makeTempDir({ prefix: "gemini-serve-" });
  const io = memoryIo({ env: { GEMINI_HOME: home } });
  try {
    await whileServing(["--listen", "127.0.0.1:0", ...args], io, body);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  return io;
}

Deno.test("gemini serve DIR serves the directory with --lang, --max-file-size and a JSON log without IPs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-capsule-" });
  await Deno.writeTextFile(join(dir, "index.gmi"), "# Mine\n");
  await Deno.writeFile(join(dir, "big.bin"), new Uint8Array(3000));
  try {
    const io = await inProcess(
      ["--lang", "fr", "--max-file-size", "2KiB", "--log-format", "json", "--no-log-ip", dir],
      async (port) => {
        const r = await fetchUrl(port, `gemini://localhost:${port}/`);
        assertEquals([r.header, r.text], ["20 text/gemini; lang=fr", "# Mine\n"]);
        const big = await fetchUrl(port, `gemini://localhost:${port}/big.bin`);
        assertEquals(big.status, 50);
        assertStringIncludes(big.meta, "3000 bytes");
        assertStringIncludes(big.meta, "2048 bytes");
      },
    );
    const lines = io.stdout.text().trim().split("\n").map((l) => JSON.parse(l));
    // With several workers (the default) their batches of lines may arrive in either order.
    const logged = lines.map((l) => [l.path, l.status]).sort((a, b) => a[0] < b[0] ? -1 : 1);
    assertEquals(logged, [["/", 20], ["/big.bin", 50]]);
    assert(lines.every((l) => !("ip" in l)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve --check prints the effective configuration", async () => {
  const io = memoryIo();
  assertEquals(await run(["serve", "--check", "--host", "example.org", "--port", "1966"], io), 0);
  const text = io.stdout.text();
  assertStringIncludes(text, 'listen = [ "0.0.0.0:1966" ]');
  assertStringIncludes(text, 'name = "example.org"');
  assertStringIncludes(text, "rate_burst = 20");
});

Deno.test("gemini serve --config reports errors with file, line and key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "serve.toml");
    await Deno.writeTextFile(
      file,
      '[limits]\nrate_burst = 5\n\n[[host]]\nname = "a.example"\n\n[[host.location]]\npath = "/x/"\nlisting = "yes"\n',
    );
    const io = memoryIo();
    assertEquals(await run(["serve", "--config", file, "--check"], io), 1);
    assertEquals(
      io.stderr.text(),
      `gemini serve: ${file}:9: host[0].location[0].listing: must be true or false\n`,
    );
    const both = memoryIo();
    assertEquals(await run(["serve", "--config", file, "/srv"], both), 2);
    const badPort = memoryIo();
    assertEquals(await run(["serve", "--port", "70000"], badPort), 2);
    const missing = memoryIo();
    assertEquals(await run(["serve", "--check", join(dir, "nope")], missing), 1);
    assertMatch(missing.stderr.text(), /nope: root of localhost is not a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("certificateWarnings() warns from 30 days before the end of validity and after it, at the exact limits", () => {
  const now = new Date("2030-06-01T12:00:00Z");
  const at = (ms: number) => [{ names: ["a.example"], notAfter: new Date(now.getTime() + ms) }];
  const day = 86_400_000;
  assertEquals(certificateWarnings(at(30 * day + 1), now), []);
  assertEquals(certificateWarnings(at(30 * day), now), [
    "warning: the certificate for a.example expires on 2030-07-01, in 30 days",
  ]);
  assertEquals(certificateWarnings(at(day), now), [
    "warning: the certificate for a.example expires on 2030-06-02, in 1 day",
  ]);
  assertEquals(certificateWarnings(at(1), now), [
    "warning: the certificate for a.example expires on 2030-06-01, in less than a day",
  ]);
  assertEquals(certificateWarnings(at(0), now), [
    "warning: the certificate for a.example expired on 2030-06-01; clients will refuse it",
  ]);
  assertEquals(certificateWarnings([], now), []);
});

Deno.test("gemini serve --cert with an expired certificate, or one expiring within 30 days, warns at start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-capsule-" });
  await Deno.writeTextFile(join(dir, "index.gmi"), "# Mine\n");
  const day = 86_400_000;
  const cases = [
    [
      "expired",
      new Date(Date.now() - day),
      /warning: the certificate for localhost expired on \d{4}-\d\d-\d\d; clients will refuse it\n/,
    ],
    [
      "expiring",
      new Date(Date.now() + 10 * day + 3_600_000),
      /warning: the certificate for localhost expires on \d{4}-\d\d-\d\d, in 10 days\n/,
    ],
    ["fine", new Date(Date.now() + 31 * day), undefined],
  ] as const;
  try {
    for (const [name, notAfter, warning] of cases) {
      const { cert, key } = await generateCertificate("localhost", {
        altNames: ["localhost"],
        notBefore: new Date(Date.now() - 400 * day),
        notAfter,
      });
      await Deno.writeTextFile(join(dir, `${name}.pem`), cert);
      await Deno.writeTextFile(join(dir, `${name}.key`), key);
      const io = await inProcess(
        ["--cert", join(dir, `${name}.pem`), "--key", join(dir, `${name}.key`), join(dir)],
        async (port) => {
          // The server still serves with it: the warning is for the operator.
          const r = await fetchUrl(port, `gemini://localhost:${port}/`);
          assertEquals([r.status, r.text], [20, "# Mine\n"]);
        },
      );
      const stderr = io.stderr.text();
      if (warning) assertMatch(stderr, warning);
      else assert(!stderr.includes("warning:"), stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
