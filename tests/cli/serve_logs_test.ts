/**
 * `access_log` and `error_log` as files, rotated the way logrotate does it (rename, then
 * SIGUSR1) while `gemini serve` is under load: every request has exactly one whole access
 * line across the rotated files, and the error log moves to its new file too. `--check`
 * validates the files without touching them.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor, waitForValue } from "../_helpers/wait.ts";
import { join } from "node:path";
import { GEMINI, runGemini } from "../_helpers/launcher.ts";
import { fetchUrl } from "../server/_harness.ts";

const CLIENTS = 6;
const ROTATIONS = 5;

async function readOrEmpty(path: string): Promise<string> {
  return await Deno.readTextFile(path).catch(() => "");
}

Deno.test({
  name:
    "gemini serve: log files rotated 5 times (rename + SIGUSR1) under load from 6 clients lose, split and repeat no access line; the error log rotates too",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir({ prefix: "gemini-logs-" });
    const logs = join(dir, "logs");
    const access = join(logs, "access.log");
    const errors = join(logs, "error.log");
    const child = await (async () => {
      await Deno.mkdir(join(dir, "capsule"));
      await Deno.mkdir(logs);
      await Deno.writeTextFile(join(dir, "capsule", "index.gmi"), "# Hello\n");
      // Relative log paths are relative to the file; the flags override the file's keys.
      await Deno.writeTextFile(
        join(dir, "serve.toml"),
        'access_log = "somewhere/else.log"\nerror_log = "logs/error.log"\n' +
          "[limits]\nrate = false\nban = false\nmax_connections_per_ip = 1024\n" +
          '[[host]]\nname = "localhost"\nroot = "capsule"\n',
      );
      return new Deno.Command(GEMINI, {
        args: [
          "serve",
          "--config",
          join(dir, "serve.toml"),
          "--listen",
          "127.0.0.1:0",
          "--access-log",
          access,
        ],
        env: { GEMINI_HOME: join(dir, "home") },
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).spawn();
    })();
    const stdout = new Response(child.stdout).text();
    const stderr = new Response(child.stderr).text();
    try {
      // Start-up messages go to the error log file, not to standard error.
      const port = await waitForValue(
        async () => {
          const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(await readOrEmpty(errors));
          return m ? Number(m[1]) : undefined;
        },
        "the listening line in the error log",
        { timeoutMs: 60_000, intervalMs: 25 },
      );

      // Load: each client requests in a loop, every request with its own path (the access
      // log holds the path, not the query; a missing file is 51 and logged all the same), until the
      // rotations are done (bounded: at most 20 s and 2,000 requests per client).
      const sent: string[] = [];
      let rotating = true;
      const deadline = Date.now() + 20_000;
      const client = async (c: number): Promise<void> => {
        for (let i = 0; i < 2000 && (rotating || i < 20) && Date.now() < deadline; i++) {
          const query = `c${c}-${i}`;
          const reply = await fetchUrl(port, `gemini://localhost:${port}/${query}`);
          assertEquals(reply.status, 51, reply.header);
          sent.push(query);
        }
      };
      const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      try {
        for (let n = 1; n <= ROTATIONS; n++) {
          const before = sent.length;
          await waitFor(() => sent.length >= before + 400, "requests between rotations", {
            timeoutMs: 20_000,
          });
          await Deno.rename(access, `${access}.${n}`);
          await Deno.rename(errors, `${errors}.${n}`);
          child.kill("SIGUSR1");
          // The server says so in the new error log file.
          await waitFor(
            async () => (await readOrEmpty(errors)).includes("log files reopened"),
            `the error log to be reopened (rotation ${n})`,
            { timeoutMs: 20_000 },
          );
        }
      } finally {
        rotating = false;
        await load;
      }
      const files = [...Array.from({ length: ROTATIONS }, (_, i) => `${access}.${i + 1}`), access];
      // Access lines are written in batches within 20 ms: wait for the last ones.
      const lines = await waitForValue(
        async () => {
          const text = (await Promise.all(files.map(readOrEmpty))).join("");
          const all = text.split("\n");
          return all.length - 1 >= sent.length ? { text, all } : undefined;
        },
        "every access line",
        { timeoutMs: 10_000 },
      );
      assert(lines.text.endsWith("\n"), "the last line is whole");
      const seen = new Map<string, number>();
      for (const line of lines.all.slice(0, -1)) {
        assertMatch(line, /^\S+Z 127\.0\.0\.1 localhost "\/c\d+-\d+" 51 0 \d+ms - \S+$/);
        const query = /"\/(c\d+-\d+)"/.exec(line)![1];
        seen.set(query, (seen.get(query) ?? 0) + 1);
      }
      assertEquals(seen.size, sent.length, "one line per request");
      for (const query of sent) assertEquals(seen.get(query), 1, query);
      for (const file of files) {
        assert((await readOrEmpty(file)).length > 0, `${file} got lines`);
      }
      // Each rotated error log ends where the next begins: the start-up lines in the first,
      // a "reopened" line in each later one.
      assertStringIncludes(await readOrEmpty(`${errors}.1`), "listening on 127.0.0.1:");
      for (let n = 2; n <= ROTATIONS; n++) {
        assertStringIncludes(await readOrEmpty(`${errors}.${n}`), "log files reopened");
      }
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      const [out, err] = await Promise.all([stdout, stderr]);
      assertEquals([status.code, out, err], [0, "", ""], "nothing on the standard streams");
      assertStringIncludes(await readOrEmpty(errors), "stopped");
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("gemini serve --check: log files are checked for appending, neither created nor truncated; a bad one is an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-logs-check-" });
  try {
    await Deno.writeTextFile(join(dir, "access.log"), "old line\n");
    const config = join(dir, "serve.toml");
    await Deno.writeTextFile(
      config,
      'access_log = "access.log"\nerror_log = "error.log"\n[[host]]\nname = "localhost"\n',
    );
    const good = await runGemini(["serve", "--config", config, "--check"], dir);
    assertEquals(good.code, 0, good.stderr);
    const printed = new TextDecoder().decode(good.stdout);
    assertStringIncludes(printed, `access_log = "${join(dir, "access.log")}"`);
    assertStringIncludes(printed, `error_log = "${join(dir, "error.log")}"`);
    assertEquals(await Deno.readTextFile(join(dir, "access.log")), "old line\n");
    assertEquals(await Deno.stat(join(dir, "error.log")).catch(() => undefined), undefined);

    const missingDir = await runGemini(
      ["serve", "--config", config, "--check", "--error-log", join(dir, "nope", "e.log")],
      dir,
    );
    assertEquals(missingDir.code, 1);
    assertStringIncludes(
      missingDir.stderr,
      `${join(dir, "nope", "e.log")}: error_log: cannot be created: ${
        join(dir, "nope")
      } is not a directory`,
    );
    await Deno.mkdir(join(dir, "a.log"));
    const directory = await runGemini(
      ["serve", "--config", config, "--check", "--access-log", join(dir, "a.log")],
      dir,
    );
    assertEquals(directory.code, 1);
    assertStringIncludes(directory.stderr, "access_log: cannot be opened for appending");
    const dash = await runGemini(
      ["serve", "--config", config, "--check", "--access-log", "-", "--error-log", "-"],
      dir,
    );
    assertEquals(dash.code, 0, dash.stderr);
    assertStringIncludes(new TextDecoder().decode(dash.stdout), 'access_log = "-"');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
