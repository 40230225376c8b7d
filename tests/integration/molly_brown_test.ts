/**
 * Interop with a real peer: Debian's molly-brown serves a gemtext page and a 1 MiB file on
 * loopback with a throwaway certificate, and `./gemini get` fetches both byte for byte.
 * `.ci/run` installs molly-brown; where it is missing this test fails with a clear message.
 */

import net from "node:net";
import { join } from "node:path";
import { runGemini } from "../_helpers/launcher.ts";
import { parseGetJson } from "../_helpers/get_json.ts";
import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { peerPort } from "../_helpers/ports.ts";

async function findMollyBrown(): Promise<string> {
  for (const candidate of ["/usr/bin/molly-brown", "/usr/local/bin/molly-brown"]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // not here
    }
  }
  const which = await new Deno.Command("sh", {
    args: ["-c", "command -v molly-brown"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const found = new TextDecoder().decode(which.stdout).trim();
  if (which.code === 0 && found !== "") return found;
  throw new Error(
    "molly-brown is not installed, so the interop test cannot run: install it with " +
      "`apt-get install -y molly-brown` (.ci/run does this)",
  );
}

async function waitForPort(port: number, child: Deno.ChildProcess, log: string): Promise<void> {
  // A generous bound: it only stops a hang, and a loaded CI machine may start slowly.
  const deadline = Date.now() + 60_000;
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => (exited = status));
  while (exited === undefined && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok && exited === undefined) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exited === undefined) child.kill("SIGTERM");
  const status = await child.status;
  let errors = "";
  try {
    errors = await Deno.readTextFile(log);
  } catch {
    // no log
  }
  throw new Error(
    `molly-brown did not listen on port ${port} (${
      exited ? `it exited with code ${status.code}` : "not within 60 s"
    }). ${errors}`,
  );
}

Deno.test("gemini get fetches a page and a 1 MiB file from molly-brown byte for byte", async () => {
  const binary = await findMollyBrown();
  const dir = await Deno.makeTempDir({ prefix: "gemini-molly-" });
  const docs = join(dir, "docs");
  await Deno.mkdir(docs);
  const { cert, key, info } = await generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
  });
  await Deno.writeTextFile(join(dir, "cert.pem"), cert);
  await Deno.writeTextFile(join(dir, "key.pem"), key, { mode: 0o600 });
  const page = new TextEncoder().encode(
    "# Served by molly-brown\n\nText with ünïcödé.\n=> big.bin A 1 MiB file\n",
  );
  await Deno.writeFile(join(docs, "index.gmi"), page);
  const big = new Uint8Array(1024 * 1024);
  for (let at = 0; at < big.length; at += 65536) {
    crypto.getRandomValues(big.subarray(at, at + 65536));
  }
  await Deno.writeFile(join(docs, "big.bin"), big);
  const port = peerPort();
  const config = join(dir, "molly.conf");
  await Deno.writeTextFile(
    config,
    [
      `Port = ${port}`,
      `Hostname = "localhost"`,
      `CertPath = "${join(dir, "cert.pem")}"`,
      `KeyPath = "${join(dir, "key.pem")}"`,
      `DocBase = "${docs}"`,
      `AccessLog = "${join(dir, "access.log")}"`,
      `ErrorLog = "${join(dir, "error.log")}"`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(binary, {
    args: ["-c", config],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const home = join(dir, "home");
  try {
    await waitForPort(port, child, join(dir, "error.log"));
    const base = `gemini://localhost:${port}`;
    const index = await runGemini(["get", `${base}/`], home);
    assertEquals(index.code, 0, index.stderr);
    assertEquals(index.stdout, page);
    const file = await runGemini(["get", `${base}/big.bin`], home);
    assertEquals(file.code, 0, file.stderr);
    assertEquals(file.stdout.length, big.length);
    assertEquals(file.stdout, big);
    const saved = join(dir, "saved.bin");
    const output = await runGemini(["get", "-o", saved, `${base}/big.bin`], home);
    assertEquals(output.code, 0, output.stderr);
    assertEquals(await Deno.readFile(saved), big);
    const json = await runGemini(["get", "--json", `${base}/`], home);
    const described = parseGetJson(json.stdout);
    assertEquals(described.status, 20);
    assertEquals(described.mediaType, "text/gemini");
    assertEquals(described.certificate.spkiSha256, info.spkiSha256);
    assertEquals(described.trust.verdict, "match");
    assertEquals(described.body, new TextDecoder().decode(page));
    const missing = await runGemini(["get", `${base}/nope.gmi`], home);
    assertEquals(missing.code, 51);
    const knownHosts = await Deno.readTextFile(join(home, "data", "known_hosts"));
    assertStringIncludes(knownHosts, `localhost ${port} spki ${info.spkiSha256}`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
