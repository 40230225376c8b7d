import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import { join } from "node:path";
import { Output } from "../_helpers/output.ts";
import { withServeChild } from "./_serve.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl } from "../server/_harness.ts";

/** Sends SIGHUP and waits for `pattern` in the output written after it. */
async function reload(
  child: Deno.ChildProcess,
  out: Output,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  const mark = out.text.length;
  child.kill("SIGHUP");
  return await out.waitFor(pattern, mark);
}

/**
 * Runs `gemini serve --config <dir>/serve.toml --listen 127.0.0.1:0 ...extra` in a fresh
 * temporary directory made ready by `setup`, hands `body` the child, its stderr, its port and
 * the paths, then stops it with SIGTERM and requires a clean exit.
 */
async function withServe(
  setup: (dir: string, file: string) => Promise<void>,
  extra: string[],
  body: (
    child: Deno.ChildProcess,
    out: Output,
    port: number,
    paths: { dir: string; file: string },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-reload-" });
  try {
    const file = join(dir, "serve.toml");
    await setup(dir, file);
    await withServeChild(
      ["--config", file, "--listen", "127.0.0.1:0", ...extra],
      { GEMINI_HOME: join(dir, "home") },
      (child, out, port) => body(child, out, port, { dir, file }),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("gemini serve reloads on SIGHUP: new config and allow list for new connections, in-flight requests finish, a broken config keeps the old one", async () => {
  const member = await generateCertificate("member");
  const config = (root: string, extra = ""): string =>
    `[[host]]\nname = "localhost"\nroot = "${root}"\n\n` +
    `[[host.location]]\npath = "/members/"\nallow_file = "members.txt"\n\n` + extra;
  await withServe(
    async (dir, file) => {
      await Deno.mkdir(join(dir, "a"));
      await Deno.mkdir(join(dir, "b"));
      await Deno.mkdir(join(dir, "cgi"));
      await Deno.writeTextFile(join(dir, "a", "index.gmi"), "# A\n");
      await Deno.writeTextFile(join(dir, "b", "index.gmi"), "# B\n");
      await Deno.writeTextFile(join(dir, "members.txt"), "");
      await Deno.writeTextFile(
        join(dir, "cgi", "slow"),
        `#!/bin/sh\ntouch "${
          join(dir, "started")
        }"\nsleep 1\nprintf '20 text/plain\\r\\nslow done\\n'\n`,
      );
      await Deno.chmod(join(dir, "cgi", "slow"), 0o755);
      await Deno.writeTextFile(
        file,
        config("a", `[[host.location]]\npath = "/cgi/"\ncgi = "cgi"\n`),
      );
    },
    [],
    async (child, out, port, { dir, file }) => {
      const base = `gemini://localhost:${port}`;
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# A\n");
      assertEquals((await fetchUrl(port, `${base}/members/`, { identity: member })).status, 61);

      // A slow request is in flight when the new configuration (without /cgi/) arrives.
      const slow = fetchUrl(port, `${base}/cgi/slow`);
      await waitFor(
        () => Deno.stat(join(dir, "started")).then(() => true, () => false),
        "the slow CGI program to start",
      );
      await Deno.writeTextFile(file, config("b"));
      await Deno.writeTextFile(join(dir, "members.txt"), `${member.info.spkiSha256}\n`);
      await reload(child, out, /configuration reloaded/);
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# B\n");
      const ok = await fetchUrl(port, `${base}/members/`, { identity: member });
      assertEquals(ok.status, 51, "allowed in now (and there is no page)");
      assertEquals((await fetchUrl(port, `${base}/cgi/slow`)).status, 51);
      const finished = await slow;
      assertEquals([finished.status, finished.text], [20, "slow done\n"]);

      // A broken configuration is refused with its reason; the server keeps serving B.
      await Deno.writeTextFile(
        file,
        config("b") + `[[host.location]]\npath = "/x/"\nlisting = "yes"\n`,
      );
      const failed = await reload(child, out, /reload failed[^\n]*\n/);
      assertStringIncludes(
        failed[0],
        "serve.toml:11: host[0].location[1].listing: must be true or false",
      );
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# B\n");
      // A missing root (a file check) is refused the same way.
      await Deno.writeTextFile(file, config("missing"));
      await reload(child, out, /reload failed[^\n]*not a directory/);
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# B\n");
    },
  );
});

Deno.test("gemini serve on SIGHUP starts asking for client certificates when a location first needs them", async () => {
  const member = await generateCertificate("member");
  const plain = `[[host]]\nname = "localhost"\nroot = "site"\n`;
  await withServe(
    async (dir, file) => {
      await Deno.mkdir(join(dir, "site"));
      await Deno.writeTextFile(file, plain);
    },
    [],
    async (child, out, port, { file }) => {
      const url = `gemini://localhost:${port}/members/`;
      assertEquals((await fetchUrl(port, url, { identity: member })).status, 51);
      await Deno.writeTextFile(
        file,
        plain + `\n[[host.location]]\npath = "/members/"\nrequire_client_certificate = true\n`,
      );
      const mark = out.text.length;
      const reloaded = await reload(child, out, /configuration reloaded[^\n]*\n/);
      // No certificate was generated: the field is left out, not written as "undefined".
      assert(!reloaded[0].includes("generated="), reloaded[0]);
      assertEquals((await fetchUrl(port, url)).status, 60);
      assertEquals(
        (await fetchUrl(port, url, { identity: member })).status,
        51,
        "certificate seen",
      );
      assert(!out.text.slice(mark).includes("restart"), out.text);
    },
  );
});

Deno.test("gemini serve --workers 2 reloads every worker on SIGHUP, keeps the old config when the new one is broken, and logs CGI errors", async () => {
  const config = (root: string): string =>
    `[[host]]\nname = "localhost"\nroot = "${root}"\n\n` +
    `[[host.location]]\npath = "/cgi/"\ncgi = "cgi"\n`;
  await withServe(
    async (dir, file) => {
      for (const d of ["a", "b", "cgi"]) await Deno.mkdir(join(dir, d));
      await Deno.writeTextFile(join(dir, "a", "index.gmi"), "# A\n");
      await Deno.writeTextFile(join(dir, "b", "index.gmi"), "# B\n");
      await Deno.writeTextFile(join(dir, "cgi", "bad"), "#!/bin/sh\necho hello\n");
      await Deno.chmod(join(dir, "cgi", "bad"), 0o755);
      await Deno.writeTextFile(file, config("a"));
    },
    ["--workers", "2"],
    async (child, out, port, { file }) => {
      await out.waitFor(/2 workers, /);
      const base = `gemini://localhost:${port}`;
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# A\n");
      assertEquals((await fetchUrl(port, `${base}/cgi/bad`)).status, 42);
      await out.waitFor(/cgi [^\n]*bad: invalid response header/);

      await Deno.writeTextFile(file, config("b"));
      await reload(child, out, /configuration reloaded[^\n]*workers=2/);
      // Connections spread over both workers; every one serves the new root.
      for (let i = 0; i < 8; i++) {
        assertEquals((await fetchUrl(port, `${base}/`)).text, "# B\n", `request ${i}`);
      }

      await Deno.writeTextFile(file, config("b") + `listing = "yes"\n`);
      const failed = await reload(child, out, /reload failed[^\n]*\n/);
      assertStringIncludes(failed[0], "listing: must be true or false");
      for (let i = 0; i < 4; i++) {
        assertEquals((await fetchUrl(port, `${base}/`)).text, "# B\n", `request ${i}`);
      }
    },
  );
});

Deno.test("gemini serve on SIGHUP moves a listener to another TLS backend by replacing its worker, without asking for a restart", async () => {
  const plain = `[[host]]\nname = "localhost"\nroot = "site"\n`;
  await withServe(
    async (dir, file) => {
      await Deno.mkdir(join(dir, "site"));
      await Deno.writeTextFile(join(dir, "site", "index.gmi"), "# Site\n");
      await Deno.writeTextFile(file, plain);
    },
    [],
    async (child, out, port, { file }) => {
      await out.waitFor(/1 worker, deno TLS backend/);
      await Deno.writeTextFile(file, `backend = "node"\n` + plain);
      const mark = out.text.length;
      await reload(child, out, /configuration reloaded[^\n]*\n/);
      await out.waitFor(/worker recycled [^\n]*reason=reload/, mark);
      assertEquals((await fetchUrl(port, `gemini://localhost:${port}/`)).text, "# Site\n");
      assert(!out.text.slice(mark).includes("restart"), out.text.slice(mark));
    },
  );
});
