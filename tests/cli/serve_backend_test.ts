/**
 * The TLS backend `gemini serve` picks per listener (backend = "auto", the default):
 * Deno.listenTls where one certificate serves without client certificates or a PROXY
 * header, node:tls elsewhere; `--check` prints the choice; a served capsule reports it at
 * start and answers on it.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { run } from "../../lib/cli/run.ts";
import { parseConfig } from "../../lib/server/config/mod.ts";
import { listenerBackends } from "../../lib/server/site.ts";

const backends = (toml: string): string[] =>
  listenerBackends(parseConfig(toml)).map((p) => `${p.backend}: ${p.reason}`);

Deno.test("listenerBackends(): deno only where one certificate serves without client certificates or PROXY", () => {
  const two =
    'listen = ["127.0.0.1:1965", { address = "127.0.0.1:1966", proxy_protocol = true }]\n';
  const host = '[[host]]\nname = "localhost"\n';
  assertEquals(backends(two + host), [
    "deno: one certificate, no client certificates",
    "node: PROXY protocol",
  ]);
  assertEquals(backends(`backend = "node"\n` + host), ['node: backend = "node"']);
  // "deno" is the older name of "auto": it never forces a listener that needs node:tls.
  assertEquals(backends(`backend = "deno"\n` + two + host)[1], "node: PROXY protocol");
  assertEquals(backends(host + '[[host]]\nname = "other.example"\n'), [
    "node: several certificates (one per host)",
  ]);
  const location = (key: string): string => host + `[[host.location]]\npath = "/m/"\n${key}\n`;
  assertEquals(backends(location("require_client_certificate = true")), [
    "node: client certificates",
  ]);
  assertEquals(backends(location(`allow_fingerprints = ["${"ab".repeat(32)}"]`)), [
    "node: client certificates",
  ]);
  assertEquals(backends(location('cgi = "cgi"')), ["node: client certificates for CGI or Titan"]);
});

Deno.test("gemini serve --check prints the TLS backend of each listener and why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "serve.toml");
    await Deno.writeTextFile(
      file,
      'listen = ["127.0.0.1:1965", { address = "127.0.0.1:1966", proxy_protocol = true }]\n' +
        '[[host]]\nname = "localhost"\n',
    );
    const io = memoryIo();
    assertEquals(await run(["serve", "--config", file, "--check"], io), 0);
    const text = io.stdout.text();
    assertStringIncludes(text, 'backend = "auto"');
    // The tests run with --unstable-net (Makefile), which the deno backend needs.
    assertStringIncludes(
      text,
      "# listener 127.0.0.1:1965: deno TLS backend (one certificate, no client certificates)\n",
    );
    assertStringIncludes(text, "# listener 127.0.0.1:1966: node TLS backend (PROXY protocol)\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve --check: without --unstable-net every listener is on node:tls", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(import.meta.dirname!, "../../cli.ts"), "serve", "--check"],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout } = await child.output();
  const text = new TextDecoder().decode(stdout);
  assertEquals(code, 0, text);
  assert(
    text.includes(
      "# listener 127.0.0.1:1965: node TLS backend (the deno backend needs Deno's --unstable-net flag)\n",
    ),
    text,
  );
});
