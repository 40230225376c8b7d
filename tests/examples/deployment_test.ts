/**
 * The deployment examples are valid: every configuration in examples/serve/ parses, and
 * passes `gemini serve --check` once its absolute paths are moved into a temporary
 * directory that holds what they name; systemd accepts the unit (`systemd-analyze verify`,
 * with no warning) and logrotate the rotation file (`logrotate -d`, with no error).
 * systemd-analyze (Debian package `systemd`) and logrotate (`logrotate`) are installed by
 * .ci/run; without them these tests fail and say so.
 */

import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { join } from "node:path";
import { GEMINI, ROOT } from "../_helpers/launcher.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import { parseConfig } from "../../lib/server/config/mod.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

const EXAMPLES = join(ROOT, "examples", "serve");
/** The absolute prefixes the examples use, moved into the temporary directory. */
const PREFIXES = ["/srv/gemini", "/etc/gemini", "/var/log/gemini"];

async function exampleConfigs(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(EXAMPLES)) if (e.name.endsWith(".toml")) names.push(e.name);
  return names.sort();
}

Deno.test("examples/serve/: the four example configurations are there, commented, and parse", async () => {
  const names = await exampleConfigs();
  assertEquals(names, ["dynamic.toml", "haproxy.toml", "static.toml", "vhosts.toml"]);
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  for (const name of names) {
    const text = await Deno.readTextFile(join(EXAMPLES, name));
    assert(text.startsWith("# "), `${name} starts with a comment`);
    const config = parseConfig(text, { file: name, baseDir: EXAMPLES });
    assert(config.hosts.length > 0, name);
    assertStringIncludes(readme, `examples/serve/${name}`, "the README describes it");
  }
  const dynamic = parseConfig(await Deno.readTextFile(join(EXAMPLES, "dynamic.toml")));
  const locations = dynamic.hosts[0].locations;
  assert(locations.some((l) => l.cgi), "CGI");
  assert(locations.some((l) => l.titan), "Titan");
  assert(locations.some((l) => l.requireClientCertificate && l.allowFile), "members");
  assert(locations.some((l) => l.proxy), "reverse proxy");
  assert(
    dynamic.hosts[0].rules?.some((r) => r.redirect) && dynamic.hosts[0].rules?.some((r) => r.gone),
  );
  const haproxy = parseConfig(await Deno.readTextFile(join(EXAMPLES, "haproxy.toml")));
  assertEquals(haproxy.listen[0].proxyProtocol, true);
  const vhosts = parseConfig(await Deno.readTextFile(join(EXAMPLES, "vhosts.toml")));
  assert(vhosts.hosts.length >= 3 && vhosts.hosts.some((h) => h.cert) && vhosts.accessLog !== "-");
});

Deno.test("examples/serve/: each configuration passes gemini serve --check with its paths moved into a temporary directory", async () => {
  for (const name of await exampleConfigs()) {
    const dir = await Deno.makeTempDir({ prefix: "gemini-example-" });
    try {
      let text = await Deno.readTextFile(join(EXAMPLES, name));
      for (const prefix of PREFIXES) text = text.replaceAll(`"${prefix}`, `"${dir}${prefix}`);
      const file = join(dir, name);
      await Deno.writeTextFile(file, text);
      // Make what the configuration names: directories, certificates, lists, log directories.
      const config = parseConfig(text, { file, baseDir: dir });
      const mkdir = (path?: string) =>
        path ? Deno.mkdir(path, { recursive: true }) : Promise.resolve();
      for (const log of [config.accessLog, config.errorLog]) {
        if (log !== "-") await mkdir(join(log, ".."));
      }
      for (const host of config.hosts) {
        await mkdir(host.root);
        if (host.cert && host.key) {
          const made = await generateCertificate(host.name);
          await mkdir(join(host.cert, ".."));
          await Deno.writeTextFile(host.cert, made.cert);
          await Deno.writeTextFile(host.key, made.key);
        }
        for (const loc of host.locations) {
          await mkdir(loc.root);
          await mkdir(loc.cgi?.root);
          await mkdir(loc.titan?.root);
          if (loc.allowFile) {
            await mkdir(join(loc.allowFile, ".."));
            await Deno.writeTextFile(loc.allowFile, "# members, one fingerprint a line\n");
          }
        }
      }
      const io = memoryIo({ env: { GEMINI_HOME: join(dir, "home") } });
      const code = await runServe(["--config", file, "--check"], io, new AbortController().signal);
      assertEquals(code, 0, `${name}: ${io.stderr.text()}`);
      assertStringIncludes(io.stdout.text(), "[[host]]", name);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

/** Runs a tool; fails naming the Debian package when it is not installed. */
async function tool(
  name: string,
  pkg: string,
  args: string[],
): Promise<{ code: number; out: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(name, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    throw new Error(
      `${name} is not installed: this test needs it (apt-get install ${pkg}; .ci/run does)`,
      { cause: error },
    );
  }
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test({
  name:
    "examples/systemd/gemini-serve.service: systemd-analyze verify accepts it without a warning",
  ignore: Deno.build.os !== "linux",
  async fn(): Promise<void> {
    const unit = await Deno.readTextFile(join(ROOT, "examples", "systemd", "gemini-serve.service"));
    for (
      const line of [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=",
        "StateDirectory=gemini",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "NoNewPrivileges=yes",
      ]
    ) assertStringIncludes(unit, line);
    const dir = await Deno.makeTempDir({ prefix: "gemini-unit-" });
    try {
      // ExecStart must name an executable that exists: the launcher of this checkout.
      const path = join(dir, "gemini-serve.service");
      const copy = unit.replace(/^ExecStart=\S+/m, `ExecStart=${GEMINI}`);
      assert(copy !== unit);
      await Deno.writeTextFile(path, copy);
      const { code, out } = await tool("systemd-analyze", "systemd", ["verify", path]);
      assertEquals([code, out], [0, ""]);
      // The check itself notices a misspelt key.
      await Deno.writeTextFile(path, copy.replace("ProtectHome=", "ProtectHom="));
      const bad = await tool("systemd-analyze", "systemd", ["verify", path]);
      assertStringIncludes(bad.out, "Unknown key");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "examples/logrotate.d/gemini-serve: logrotate -d accepts it without an error and it sends SIGUSR1",
  ignore: Deno.build.os !== "linux",
  async fn(): Promise<void> {
    const file = join(ROOT, "examples", "logrotate.d", "gemini-serve");
    const text = await Deno.readTextFile(file);
    assertStringIncludes(text, "--signal=USR1 gemini-serve.service");
    const dir = await Deno.makeTempDir({ prefix: "gemini-logrotate-" });
    try {
      const state = join(dir, "state");
      const { code, out } = await tool("logrotate", "logrotate", ["-d", "-s", state, file]);
      assertEquals(code, 0, out);
      assert(!/error/i.test(out), out);
      assertStringIncludes(out, "rotating pattern: /var/log/gemini/*.log");
      const broken = join(dir, "broken");
      await Deno.writeTextFile(broken, text.replace("rotate 14", "rotat 14"));
      const bad = await tool("logrotate", "logrotate", ["-d", "-s", state, broken]);
      assertStringIncludes(bad.out, "unknown option 'rotat'");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
