/**
 * The permission sandbox of `gemini serve` (README, "Permission sandbox"): the permissions
 * computed from a configuration, what a worker holding them cannot do even when it calls
 * Deno directly (every path check of the server bypassed on purpose), `--check`, and a real
 * `./gemini serve` with static files, CGI and Titan under them.
 */

import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor, waitForValue } from "../_helpers/wait.ts";
import { join } from "node:path";
import { GEMINI } from "../_helpers/launcher.ts";
import { fetchUrl } from "../server/_harness.ts";
import { withServeChild } from "./_serve.ts";
import { titanUpload } from "../../lib/client/titan.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { programCode, runServe } from "../../lib/cli/serve.ts";
import { Supervisor } from "../../lib/cli/serve_supervisor.ts";
import {
  missingPermission,
  permissionFlags,
  processPermissionFlags,
  processPermissions,
  sandboxPermissions,
  workerPermissionOptions,
  workerPermissions,
  workerSandboxAvailable,
} from "../../lib/cli/serve_permissions.ts";
import { parseConfig, type ServerConfig } from "../../lib/server/config/mod.ts";
import { killCgiRun } from "../../lib/server/cgi.ts";
import { silentLogger } from "../../lib/server/logger.ts";

async function script(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/** A directory with a static root, a file beside it and an executable inside the root. */
async function capsule(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-sandbox-" });
  await Deno.mkdir(join(dir, "site"));
  await Deno.writeTextFile(join(dir, "site", "index.gmi"), "# home\n");
  await Deno.writeTextFile(join(dir, "outside.txt"), "secret\n");
  await script(join(dir, "site", "tool.sh"), "#!/bin/sh\necho ran\n");
  return dir;
}

/**
 * Starts the real Supervisor with the permissions `gemini serve` gives a worker for
 * `config` (sandboxPermissions, as in serve.ts), but running the probe module instead of
 * the server: it calls Deno directly and reports each attempt.
 */
async function probeWorker(config: ServerConfig, dataDir: string): Promise<Record<string, string>> {
  if (!workerSandboxAvailable((name) => Deno.env.get(name))) {
    throw new Error("run this test with --unstable-worker-options (make test passes it)");
  }
  const lines: string[] = [];
  const supervisor = new Supervisor(config, {
    module: new URL("./_sandbox_probe.ts", import.meta.url),
    workers: 1,
    dataDir,
    certificates: [],
    files: { allowLists: new Map(), pems: new Map() },
    limits: { buffer: new SharedArrayBuffer(64), options: {} as never },
    reusePort: false,
    access: { write: (line) => void lines.push(line) },
    errors: { write: () => {} },
    logger: silentLogger,
    permissions: sandboxPermissions(dataDir),
  });
  await supervisor.start();
  await supervisor.shutdown(1000);
  assertEquals(lines.length, 1, lines.join("\n"));
  return JSON.parse(lines[0]);
}

/** What every worker's probe finds: its root readable, nothing else of the system within reach. */
const CONFINED = {
  readInsideRoot: "ok",
  readBesideRoot: "NotCapable",
  readEtcHostname: "NotCapable",
  writeStaticRoot: "NotCapable",
  runShell: "NotCapable",
  runInRoot: "NotCapable",
  kill: "NotCapable",
  env: "NotCapable",
  sys: "NotCapable",
  ffi: "NotCapable",
  connectElsewhere: "NotCapable",
};

Deno.test("sandbox: a static host's worker cannot start a program or read outside its roots, even calling Deno directly", async () => {
  const dir = await capsule();
  try {
    const config = parseConfig(
      `listen = "127.0.0.1:0"\n[[host]]\nname = "localhost"\nroot = "site"\n`,
      { file: join(dir, "serve.toml"), baseDir: dir },
    );
    const results = await probeWorker(config, join(dir, "data"));
    assertEquals(results, {
      ...CONFINED,
    });
    // Nothing was written or run: the file the probe tried to make is not there.
    assertEquals(await Deno.stat(join(dir, "site", "new.gmi")).catch(() => undefined), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandbox: with CGI and Titan, the worker runs exactly the CGI program and writes only the Titan root", async () => {
  const dir = await capsule();
  try {
    await Deno.mkdir(join(dir, "bin"));
    await Deno.mkdir(join(dir, "uploads"));
    await script(join(dir, "bin", "app.sh"), "#!/bin/sh\nprintf '20 text/plain\\r\\n'\n");
    const config = parseConfig(
      `listen = "127.0.0.1:0"
[[host]]
name = "localhost"
root = "site"
[[host.location]]
path = "/app/"
cgi_program = "bin/app.sh"
[[host.location]]
path = "/up/"
titan = true
titan_anonymous = true
titan_root = "uploads"
`,
      { file: join(dir, "serve.toml"), baseDir: dir },
    );
    const results = await probeWorker(config, join(dir, "data"));
    assertEquals(results, {
      ...CONFINED,
      runProgram: "ok",
      writeTitanRoot: "ok",
      // A link would let a later read escape the roots: Deno wants all of read and write.
      symlinkInTitanRoot: "NotCapable",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workerPermissions() lists what each key of a configuration needs, and nothing else", async () => {
  const dir = await capsule();
  try {
    const cgi = join(dir, "cgi-bin");
    await Deno.mkdir(join(cgi, "sub"), { recursive: true });
    await script(join(cgi, "a.sh"), "#!/bin/sh\n");
    await script(join(cgi, "sub", "b.sh"), "#!/bin/sh\n");
    await script(join(cgi, ".hidden.sh"), "#!/bin/sh\n");
    await Deno.writeTextFile(join(cgi, "readme.txt"), "not a program\n");
    await Deno.symlink(join(dir, "outside.txt"), join(cgi, "leaves.sh"));
    await Deno.symlink(join(dir, "site"), join(dir, "linked-site"));
    const config = parseConfig(
      `listen = ["0.0.0.0:1965", "[::]:1966", "127.0.0.1:0"]
[[host]]
name = "a.example"
root = "linked-site"
cert = "a.crt"
key = "a.key"
[[host.location]]
path = "/cgi-bin/"
cgi = "cgi-bin"
[[host.location]]
path = "/members/"
allow_file = "members.txt"
ca_file = "ca.pem"
[[host.location]]
path = "/app/"
proxy = "app.internal"
proxy_cert = "p.crt"
proxy_key = "p.key"
[[host.location]]
path = "/six/"
proxy = "[::1]:1970"
[[host]]
name = "b.example"
`,
      { file: join(dir, "serve.toml"), baseDir: dir },
    );
    const set = await workerPermissions(config, "/var/lib/gemini");
    assertEquals(set, {
      read: [
        join(dir, "linked-site"),
        join(dir, "site"), // the real path of the linked root
        join(dir, "a.crt"),
        join(dir, "a.key"),
        cgi,
        join(dir, "members.txt"),
        join(dir, "ca.pem"),
        join(dir, "p.crt"),
        join(dir, "p.key"),
        "/var/lib/gemini/server", // b.example's generated certificate
      ],
      write: [],
      net: ["0.0.0.0:1965", "[::]:1966", "127.0.0.1", "app.internal:1965", "[::1]:1970"],
      // Executables only, hidden names and links out of the directory left out.
      run: [join(cgi, "a.sh"), join(cgi, "sub", "b.sh")],
    });
    const options = workerPermissionOptions(set);
    assertEquals(
      [options.env, options.sys, options.ffi, options.import],
      [false, false, false, false],
    );
    assertEquals(permissionFlags(set).some((f) => /ffi|env|sys/.test(f)), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workerPermissions(): follow_symlinks reads everywhere; Titan roots are written; no set ever has FFI", async () => {
  const dir = await capsule();
  try {
    const follow = parseConfig(
      `[[host]]\nname = "a.example"\nroot = "site"\nfollow_symlinks = true\n`,
      { file: join(dir, "serve.toml"), baseDir: dir },
    );
    const followSet = await workerPermissions(follow, "/data");
    assertEquals(followSet.read, true);
    assertEquals(permissionFlags(followSet)[0], "--allow-read");
    const titan = parseConfig(
      `[[host]]\nname = "a.example"\nroot = "site"\n[[host.location]]\npath = "/"\n` +
        `titan = true\ntitan_tokens = ["t"]\n`,
      { file: join(dir, "serve.toml"), baseDir: dir },
    );
    const titanSet = await workerPermissions(titan, "/data");
    assertEquals(titanSet.write, [join(dir, "site")]);
    for (const set of [followSet, titanSet]) {
      const options = workerPermissionOptions(set);
      assertEquals([options.ffi, options.env, options.sys], [false, false, false]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve --check prints the worker's permissions after the configuration", async () => {
  const dir = await capsule();
  try {
    await Deno.mkdir(join(dir, "bin"));
    await script(join(dir, "bin", "app.sh"), "#!/bin/sh\n");
    await Deno.writeTextFile(
      join(dir, "serve.toml"),
      `listen = "127.0.0.1:1966"\n[[host]]\nname = "localhost"\nroot = "site"\n` +
        `[[host.location]]\npath = "/app/"\ncgi_program = "bin/app.sh"\n`,
    );
    const home = join(dir, "home");
    const run = async (env: Record<string, string>): Promise<string> => {
      const io = memoryIo({ env: { GEMINI_HOME: home, ...env } });
      const code = await runServe(
        ["--config", join(dir, "serve.toml"), "--check"],
        io,
        new AbortController().signal,
      );
      assertEquals(code, 0, io.stderr.text());
      return io.stdout.text();
    };
    const out = await run({ GEMINI_SANDBOX: "on" });
    const data = join(home, "data", "server");
    const app = join(dir, "bin", "app.sh");
    assertStringIncludes(
      out,
      "\n# Permissions of each worker (Deno), from this configuration:\n" +
        `#   --allow-read=${join(dir, "site")},${data},${app}\n` +
        "#   --allow-net=127.0.0.1:1966\n" +
        `#   --allow-run=${app}\n` +
        "#   nothing else: no env, sys, ffi, import, write\n" +
        "# Permissions of the main process as ./gemini starts it (gemini serve --print-permissions);\n" +
        "# a compiled binary keeps the permissions it was compiled with:\n" +
        // CGI: the main process ends CGI process trees (unscoped run, and /proc).
        "#   --allow-all\n",
    );
    assert(!out.includes("Not applied here"), out);
    // The output stays a configuration: it parses again.
    parseConfig(out);
    const off = await run({ GEMINI_SANDBOX: "off" });
    assertStringIncludes(off, "# Not applied here: Deno runs without --unstable-worker-options");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("killCgiRun() signals only children of this process and processes with a run's mark", async () => {
  // A process that is not our child: sh starts sleep in the background and exits.
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", "sleep 30 >/dev/null 2>&1 & echo $!"],
    stdout: "piped",
  }).output();
  const stranger = Number(new TextDecoder().decode(out.stdout).trim());
  const alive = (pid: number): boolean => !gone(pid);
  try {
    assert(alive(stranger));
    killCgiRun({ pid: stranger, ownGroup: true, variable: "GEMINI_CGI_RUN", value: "x" });
    killCgiRun({ pid: Deno.pid, ownGroup: true, variable: "GEMINI_CGI_RUN", value: "x" });
    // Give a wrong kill time to land, then check that nothing happened.
    const child = new Deno.Command("/bin/sh", { args: ["-c", "sleep 0.3"] }).spawn();
    await child.status;
    assert(alive(stranger), "a process that is not a child of this one was killed");
    // A child of this process in its own group is killed with its group.
    const own = new Deno.Command("/bin/sh", {
      args: ["-c", "sleep 30"],
      detached: true,
      stdout: "null",
    }).spawn();
    killCgiRun({ pid: own.pid, ownGroup: true, variable: "GEMINI_CGI_RUN", value: "x" });
    assertEquals((await own.status).signal, "SIGKILL");
  } finally {
    try {
      Deno.kill(stranger, "SIGKILL");
    } catch {
      // gone
    }
  }
});

Deno.test("./gemini serve under the sandbox: static files, CGI (with its kill at the deadline) and Titan work; a CGI program added later runs after SIGHUP", async () => {
  const dir = await capsule();
  const pids: number[] = [];
  try {
    const cgi = join(dir, "cgi-bin");
    await Deno.mkdir(cgi);
    await Deno.mkdir(join(dir, "wiki"));
    await script(join(cgi, "hello.sh"), "#!/bin/sh\nprintf '20 text/plain\\r\\nhello\\n'\n");
    // Holds stdout open past cgi_timeout: in its group, and in a session of its own.
    await script(
      join(cgi, "slow.sh"),
      `#!/bin/sh\nprintf '20 text/plain\\r\\nslow\\n'\n` +
        `sh -c 'echo $$ > "${dir}/group.pid"; exec sleep 40' &\n` +
        `setsid sh -c 'echo $$ > "${dir}/escaped.pid"; exec sleep 40' &\nwait\n`,
    );
    const file = join(dir, "serve.toml");
    await Deno.writeTextFile(
      file,
      `[[host]]
name = "localhost"
root = "site"
[[host.location]]
path = "/cgi-bin/"
cgi = "cgi-bin"
cgi_timeout = 2
[[host.location]]
path = "/wiki/"
titan = true
titan_tokens = ["s3cret"]
titan_root = "wiki"
`,
    );
    const args = ["--config", file, "--listen", "127.0.0.1:0"];
    await withServeChild(args, { GEMINI_HOME: join(dir, "home") }, async (child, out, port) => {
      assert(!out.text.includes("permissions of the process"), out.text);
      const url = (path: string): string => `gemini://localhost:${port}${path}`;
      assertEquals((await fetchUrl(port, url("/"))).text, "# home\n");
      assertEquals((await fetchUrl(port, url("/cgi-bin/hello.sh"))).text, "hello\n");
      const started = Date.now();
      const slow = await fetchUrl(port, url("/cgi-bin/slow.sh"));
      const took = Date.now() - started;
      assertEquals([slow.status, slow.text, slow.closeNotify], [20, "slow\n", false]);
      // Ended by the kill at cgi_timeout (2 s), not by the children's 40 s.
      assert(took >= 1500 && took < 20_000, `the response took ${took} ms`);
      for (const name of ["group", "escaped"]) {
        const pid = await waitForValue(async () => {
          const text = await Deno.readTextFile(join(dir, `${name}.pid`)).catch(() => "");
          return /^\d+\s*$/.test(text) ? Number(text) : undefined;
        }, `${name}.pid`);
        pids.push(pid);
        await waitFor(
          () => gone(pid),
          `the ${name} child ${pid} of the timed-out program to be killed`,
          { timeoutMs: 10_000 },
        ).catch(() => {});
        assert(gone(pid), `the ${name} child ${pid} survived the deadline`);
      }
      const up = await titanUpload(
        url("/wiki/page.gmi").replace("gemini:", "titan:"),
        new TextEncoder().encode("# wiki\n"),
        { token: "s3cret" },
      );
      assertEquals([up.status, up.meta], [30, url("/wiki/page.gmi")]);
      assertEquals(await Deno.readTextFile(join(dir, "wiki", "wiki", "page.gmi")), "# wiki\n");
      // A program added now is not in the worker's run permission: 42 until a reload.
      await script(join(cgi, "late.sh"), "#!/bin/sh\nprintf '20 text/plain\\r\\nlate\\n'\n");
      assertEquals((await fetchUrl(port, url("/cgi-bin/late.sh"))).status, 42);
      await out.waitFor(/late\.sh: cannot start: Requires run access/);
      const mark = out.text.length;
      child.kill("SIGHUP");
      await out.waitFor(/workers replaced for new permissions[^\n]*\n/, mark);
      await out.waitFor(/configuration reloaded[^\n]*\n/, mark);
      assertEquals((await fetchUrl(port, url("/cgi-bin/late.sh"))).text, "late\n");
    });
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether `pid` has ended (no such process, or a zombie waiting for its parent). */
function gone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [ZX]/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return true;
  }
}

Deno.test("the main process's permissions: the workers' plus the config file, the certificate directory, the log files and the code; CGI needs them all", async () => {
  const dir = await capsule();
  try {
    await Deno.mkdir(join(dir, "wiki"));
    const file = join(dir, "serve.toml");
    const config = parseConfig(
      `listen = "127.0.0.1:1966"\naccess_log = "logs/access.log"\nerror_log = "logs/error.log"\n` +
        `[[host]]\nname = "localhost"\nroot = "site"\n` +
        `[[host.location]]\npath = "/wiki/"\ntitan = true\ntitan_tokens = ["t"]\ntitan_root = "wiki"\n` +
        `[[host.location]]\npath = "/up/"\nproxy = "127.0.0.1:1970"\n`,
      { file, baseDir: dir },
    );
    const set = await processPermissions(config, {
      dataDir: join(dir, "data"),
      configFile: file,
      code: programCode(),
    });
    // programCode() is the checkout root, whatever its path holds.
    const checkout = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
    const certs = join(dir, "data", "server");
    const [site, wiki] = [join(dir, "site"), join(dir, "wiki")];
    const logs = [join(dir, "logs", "access.log"), join(dir, "logs", "error.log")];
    assertEquals(set.read, [site, certs, wiki, file, checkout, ...logs]);
    assertEquals(set.write, [wiki, certs, ...logs]);
    assertEquals(set.net, ["127.0.0.1:1966", "127.0.0.1:1970"]);
    assertEquals([set.run, set.all], [[], false]);
    assertEquals(processPermissionFlags(set), [
      `--allow-read=${set.read}`,
      `--allow-write=${set.write}`,
      "--allow-net=127.0.0.1:1966,127.0.0.1:1970",
      "--allow-env=GEMINI_HOME,GEMINI_SANDBOX,HOME,USERPROFILE,XDG_CONFIG_HOME,XDG_DATA_HOME," +
      "APPDATA,LOCALAPPDATA",
    ]);
    // This test runs with every permission: nothing is missing.
    assertEquals(missingPermission(set), undefined);
    // A path Deno's flags cannot hold is refused, not written ambiguously.
    let refused = "";
    try {
      processPermissionFlags({ ...set, read: ["/srv/a,b"] });
    } catch (error) {
      refused = (error as Error).message;
    }
    assertStringIncludes(refused, "comma or line break cannot be a Deno flag: /srv/a,b");
    // With CGI the main process ends process trees: Deno 2.9.6 wants --allow-all for /proc.
    await Deno.mkdir(join(dir, "cgi"));
    const cgi = parseConfig(
      `[[host]]\nname = "localhost"\nroot = "site"\n[[host.location]]\npath = "/c/"\ncgi = "cgi"\n`,
      { file, baseDir: dir },
    );
    const all = await processPermissions(cgi, { dataDir: join(dir, "data") });
    assertEquals(processPermissionFlags(all), ["--allow-all"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("./gemini serve of a static configuration runs with only the flags --print-permissions gives; a reload needing more is refused and the running one kept", async () => {
  const dir = await capsule();
  try {
    await Deno.mkdir(join(dir, "other"));
    await Deno.writeTextFile(join(dir, "other", "index.gmi"), "# other\n");
    const file = join(dir, "serve.toml");
    const toml = (root: string, lang: string, listen = "127.0.0.1:0"): string =>
      `listen = "${listen}"\naccess_log = "access.log"\n` +
      `[[host]]\nname = "localhost"\nroot = "${root}"\nlang = "${lang}"\n`;
    await Deno.writeTextFile(file, toml("site", "en"));
    const env = { GEMINI_HOME: join(dir, "home") };
    const printed = await new Deno.Command(GEMINI, {
      args: ["serve", "--config", file, "--print-permissions"],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(printed.code, 0, new TextDecoder().decode(printed.stderr));
    const flags = new TextDecoder().decode(printed.stdout).trim().split("\n");
    assertEquals(flags.map((f) => f.split("=")[0]), [
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
    ]);
    assertEquals(flags[2], "--allow-net=127.0.0.1");
    await withServeChild(["--config", file], env, async (child, out, port) => {
      // The launcher execs Deno in place: the server is the child's PID, with exactly the flags.
      const argv = (await Deno.readTextFile(`/proc/${child.pid}/cmdline`)).split("\0");
      const allowed = argv.filter((a) => a.startsWith("--allow-"));
      assertEquals(allowed, flags);
      assert(!argv.includes("--allow-all") && !argv.some((a) => a.startsWith("--allow-run")));
      assert(!out.text.includes("permissions of the process"), out.text);
      const url = `gemini://localhost:${port}/`;
      assertEquals((await fetchUrl(port, url)).text, "# home\n");
      // A reload within the permissions applies ...
      await Deno.writeTextFile(file, toml("site", "de"));
      let mark = out.text.length;
      child.kill("SIGHUP");
      await out.waitFor(/configuration reloaded[^\n]*\n/, mark);
      assertEquals((await fetchUrl(port, url)).meta, "text/gemini; lang=de");
      // ... one that would read another directory needs a restart: the old one keeps serving.
      await Deno.writeTextFile(file, toml("other", "de"));
      mark = out.text.length;
      child.kill("SIGHUP");
      const refused = await out.waitFor(/reload failed[^\n]*\n/, mark);
      assertStringIncludes(refused[0], `needs --allow-read=${join(dir, "other")}`);
      assertStringIncludes(refused[0], "restart gemini serve to apply it");
      assertEquals((await fetchUrl(port, url)).text, "# home\n");
      // A new listen address needs a restart anyway: the reload applies the rest, keeps the
      // running address (so no new net permission is needed) and warns.
      await Deno.writeTextFile(file, toml("site", "fr", "127.0.0.3:0"));
      mark = out.text.length;
      child.kill("SIGHUP");
      await out.waitFor(/configuration reloaded[^\n]*\n/, mark);
      await out.waitFor(/this change needs a restart to apply[^\n]*listen/, mark);
      assertEquals((await fetchUrl(port, url)).meta, "text/gemini; lang=fr");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
