/**
 * The certificate lifecycle of `gemini serve`: a generated certificate near its end is
 * renewed with the same key at start and by the daily check (driven here by an injected
 * timer), and served at once without a restart (node backend: swapped; deno backend: the
 * workers recycled); every client's SPKI pin still holds (checked over real TLS). The
 * operator's own certificate is never rewritten, only warned about, at start, by the daily
 * check and by `--check`.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import { join } from "node:path";
import { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import type { CheckScheduler } from "../../lib/cli/serve_certificates.ts";
import { serverCertificateNames } from "../../lib/server/certificates.ts";
import {
  certificateInfo,
  generateCertificate,
  renewCertificate,
} from "../../lib/tls/certificate.ts";
import { fetchUrl } from "../server/_harness.ts";
import { whileServing } from "./_serve.ts";

const DAY_MS = 86_400_000;

/** A temporary GEMINI_HOME with a generated-style localhost certificate valid `days`. */
async function homeWithCertificate(days: number): Promise<{
  home: string;
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}> {
  const home = await Deno.makeTempDir({ prefix: "gemini-certs-" });
  const dir = join(home, "data", "server");
  await Deno.mkdir(dir, { recursive: true });
  const made = await generateCertificate("localhost", {
    altNames: serverCertificateNames("localhost"),
    days,
  });
  const certPath = join(dir, "localhost.crt");
  const keyPath = join(dir, "localhost.key");
  await Deno.writeTextFile(certPath, made.cert);
  await Deno.writeTextFile(keyPath, made.key, { mode: 0o600 });
  return { home, certPath, keyPath, cert: made.cert, key: made.key };
}

/** A scheduler that runs nothing by itself and hands the check to the test. */
function manualScheduler(): { schedule: CheckScheduler; run(): Promise<void> } {
  let check: (() => Promise<void>) | undefined;
  let interval = 0;
  return {
    schedule: (c, ms) => {
      check = c;
      interval = ms;
      return () => (check = undefined);
    },
    run: () => {
      assertEquals(interval, DAY_MS, "the check is scheduled once a day");
      return check!();
    },
  };
}

Deno.test("gemini serve renews a generated certificate 3 days from its end at start, with the same key: the SPKI pin holds over TLS", async () => {
  const { home, certPath, keyPath, cert, key } = await homeWithCertificate(3);
  const old = certificateInfo(cert);
  try {
    const io = memoryIo({ env: { GEMINI_HOME: home } });
    await whileServing(["--listen", "127.0.0.1:0"], io, async (port) => {
      const reply = await fetchUrl(port, `gemini://localhost:${port}/`, {
        servername: "localhost",
      });
      assertEquals(reply.status, 20);
      const served = reply.peerCertificate;
      assertEquals(served.spkiSha256, old.spkiSha256, "the pin of the key still holds");
      assert(served.certSha256 !== old.certSha256, "a new certificate");
      assert(served.notAfter.getTime() > Date.now() + 3000 * DAY_MS, "valid for years again");
      assertEquals(served.altNames, old.altNames);
    });
    const stderr = io.stderr.text();
    const day = (date: Date): string => date.toISOString().slice(0, 10);
    const renewedUntil = certificateInfo(await Deno.readTextFile(certPath)).notAfter;
    assertStringIncludes(
      stderr,
      `renewed the certificate of localhost (it ended ${day(old.notAfter)}), now valid until ` +
        `${day(renewedUntil)}, with the same key (SPKI unchanged: pins still hold)`,
    );
    assert(!stderr.includes("warning: the certificate"), stderr);
    assertEquals(await Deno.readTextFile(keyPath), key, "the key file is untouched");
    const onDisk = certificateInfo(await Deno.readTextFile(certPath));
    assertEquals(onDisk.spkiSha256, old.spkiSha256);
    assert(onDisk.notAfter.getTime() > Date.now() + 3000 * DAY_MS);
    assertEquals((await Deno.stat(certPath)).mode! & 0o777, 0o644);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini serve's daily check (injected timer) renews a generated certificate that came near its end and serves it without a restart; the operator's expiring certificate is warned about and never rewritten", async () => {
  const { home, certPath, cert, key } = await homeWithCertificate(100);
  const own = await generateCertificate("other.example", { days: 10 });
  const ownCert = join(home, "own.crt");
  const ownKey = join(home, "own.key");
  await Deno.writeTextFile(ownCert, own.cert);
  await Deno.writeTextFile(ownKey, own.key);
  const config = join(home, "serve.toml");
  await Deno.writeTextFile(
    config,
    '[[host]]\nname = "localhost"\n\n' +
      `[[host]]\nname = "other.example"\ncert = "${ownCert}"\nkey = "${ownKey}"\n`,
  );
  const timer = manualScheduler();
  try {
    const io = memoryIo({ env: { GEMINI_HOME: home } });
    await whileServing(["--config", config, "--listen", "127.0.0.1:0"], io, async (port) => {
      const pin = certificateInfo(cert);
      assertStringIncludes(
        io.stderr.text(),
        "warning: the certificate for other.example expires on",
      );
      const first = await fetchUrl(port, `gemini://localhost:${port}/`, {
        servername: "localhost",
      });
      assertEquals(first.peerCertificate.certSha256, pin.certSha256, "not renewed at start");

      // Time passes: the certificate on disk now ends in 5 days (the same key). The running
      // server still serves the one it loaded, until the daily check.
      const short = await renewCertificate(cert, key, { days: 5 });
      await Deno.writeTextFile(certPath, short.cert);
      const mark = io.stderr.text().length;
      await timer.run();
      const log = () => io.stderr.text().slice(mark);
      await waitFor(
        () => /warn the certificate for other\.example/.test(log()),
        "the renewal and warning lines",
      );
      assertMatch(
        log(),
        /info renewed the certificate with the same key host=localhost was_valid_until=\d{4}-\d\d-\d\d valid_until=\d{4}-\d\d-\d\d spki_sha256=[0-9a-f]{64}/,
      );
      const [, was, until] = /was_valid_until=(\S+) valid_until=(\S+)/.exec(log())!;
      assertEquals(was, short.info.notAfter.toISOString().slice(0, 10), "the old end");
      assert(until > was, `the renewed certificate ends later: ${until} after ${was}`);
      assertStringIncludes(log(), "renewed certificates in service how=reloaded");
      assertMatch(log(), /warn the certificate for other\.example expires on \S+, in [89] days/);
      const after = await fetchUrl(port, `gemini://localhost:${port}/`, {
        servername: "localhost",
      });
      assertEquals(after.peerCertificate.spkiSha256, pin.spkiSha256, "the pin still holds");
      assert(after.peerCertificate.certSha256 !== short.info.certSha256);
      assert(after.peerCertificate.notAfter.getTime() > Date.now() + 3000 * DAY_MS);

      // A second check has nothing to renew; the operator's certificate is warned about again.
      const again = io.stderr.text().length;
      await timer.run();
      await waitFor(
        () => io.stderr.text().slice(again).includes("warn the certificate for other.example"),
        "the second warning",
      );
      assert(!io.stderr.text().slice(again).includes("renewed"), io.stderr.text().slice(again));
    }, timer.schedule);
    assertEquals(await Deno.readTextFile(ownCert), own.cert, "never rewritten");
    assertEquals(await Deno.readTextFile(ownKey), own.key);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name:
    "gemini serve on the deno backend puts a renewed certificate into service by recycling its workers",
  // The deno backend shares ports between workers only with --unstable-net (make test has it).
  ignore: typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function",
  async fn(): Promise<void> {
    const { home, certPath, cert, key } = await homeWithCertificate(100);
    const config = join(home, "serve.toml");
    await Deno.writeTextFile(
      config,
      'backend = "deno"\nworkers = 2\n[[host]]\nname = "localhost"\n',
    );
    const timer = manualScheduler();
    try {
      const io = memoryIo({ env: { GEMINI_HOME: home } });
      await whileServing(["--config", config, "--listen", "127.0.0.1:0"], io, async (port) => {
        assertStringIncludes(io.stderr.text(), "deno TLS backend");
        await Deno.writeTextFile(certPath, (await renewCertificate(cert, key, { days: 2 })).cert);
        const mark = io.stderr.text().length;
        await timer.run();
        await waitFor(
          () => io.stderr.text().slice(mark).includes("renewed certificates in service"),
          "the recycles to be logged",
        );
        const log = io.stderr.text().slice(mark);
        assertEquals(log.match(/info worker recycled [^\n]*reason=certificate/g)?.length, 2, log);
        assertStringIncludes(log, "renewed certificates in service how=recycled");
        const reply = await fetchUrl(port, `gemini://localhost:${port}/`, {
          servername: "localhost",
        });
        assertEquals(reply.peerCertificate.spkiSha256, certificateInfo(cert).spkiSha256);
        assert(reply.peerCertificate.notAfter.getTime() > Date.now() + 3000 * DAY_MS);
      }, timer.schedule);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("gemini serve --check warns of expiring certificates (the operator's and generated ones) and changes no file", async () => {
  const { home, certPath, cert } = await homeWithCertificate(3);
  const own = await generateCertificate("other.example", { days: 10 });
  const expired = await generateCertificate("old.example", {
    notBefore: new Date(Date.now() - 20 * DAY_MS),
    days: 10,
  });
  const files: Record<string, string> = {
    "own.crt": own.cert,
    "own.key": own.key,
    "old.crt": expired.cert,
    "old.key": expired.key,
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(home, name), text);
  }
  const config = join(home, "serve.toml");
  await Deno.writeTextFile(
    config,
    '[[host]]\nname = "localhost"\n\n' +
      `[[host]]\nname = "other.example"\ncert = "own.crt"\nkey = "own.key"\n\n` +
      `[[host]]\nname = "old.example"\ncert = "old.crt"\nkey = "old.key"\n\n` +
      `[[host]]\nname = "new.example"\n`,
  );
  try {
    const io = memoryIo({ env: { GEMINI_HOME: home } });
    const code = await runServe(["--config", config, "--check"], io, new AbortController().signal);
    assertEquals(code, 0, io.stderr.text());
    const lines = io.stderr.text().trimEnd().split("\n");
    assertEquals(lines.length, 3, io.stderr.text());
    assertMatch(
      lines[0],
      /^warning: the certificate for localhost expires on \S+, in 2 days \(generated by gemini serve: it is renewed with the same key at start\)$/,
    );
    assertMatch(
      lines[1],
      new RegExp(
        `^warning: the certificate for other\\.example expires on \\S+, in 9 days \\(${
          join(home, "own.crt")
        }\\)$`,
      ),
    );
    assertMatch(
      lines[2],
      /^warning: the certificate for old\.example expired on \S+; clients will refuse it/,
    );
    assertEquals(await Deno.readTextFile(certPath), cert, "nothing renewed by --check");
    const generated = await Array.fromAsync(Deno.readDir(join(home, "data", "server")));
    assertEquals(generated.map((e) => e.name).sort(), ["localhost.crt", "localhost.key"]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("certificateCheck(): a check that fails on a certificate it cannot read is logged, and the next one still runs", async () => {
  const { certificateCheck } = await import("../../lib/cli/serve_certificates.ts");
  const { parseConfig } = await import("../../lib/server/config/mod.ts");
  const dir = await Deno.makeTempDir();
  try {
    const cert = join(dir, "host.crt");
    const key = join(dir, "host.key");
    const config = parseConfig(
      `[[host]]\nname = "example.org"\ncert = "${cert}"\nkey = "${key}"\n`,
    );
    const good = await generateCertificate("example.org", { days: 5 });
    const pems = new Map([[
      cert,
      "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    ], [key, good.key]]);
    const lines: string[] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const check = certificateCheck({
      running: () => ({ config, files: { allowLists: new Map(), pems } }),
      certificateDir: join(dir, "generated"),
      logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
      replace: () => Promise.resolve("reloaded"),
    });
    await check();
    assert(lines.some((l) => l.startsWith("error certificate check failed")), lines.join("\n"));
    // The file is fixed (the operator replaced it and sent SIGHUP): the next daily check runs.
    pems.set(cert, good.cert);
    const mark = lines.length;
    await check();
    const after = lines.slice(mark).join("\n");
    assertMatch(after, /warn the certificate for example\.org expires on \S+, in [45] days/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
