import { assert, assertEquals, assertMatch, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor, waitForValue } from "../_helpers/wait.ts";
import {
  cgiEnvironment,
  cgiHandler,
  formatCgiTime,
  resolveCgiTarget,
} from "../../lib/server/cgi.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import tls from "node:tls";
import { fetchUrl, HANDLER_TEST, memoryLogger, startServer } from "./_harness.ts";
import { handlerRequest } from "./_request.ts";

function parseEnv(body: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of body.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function findPython(): string {
  for (const candidate of ["/usr/bin/python3", "/usr/local/bin/python3"]) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // next
    }
  }
  throw new Error("python3 is needed for the Python CGI test: apt-get install python3");
}

async function script(dir: string, name: string, text: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
  return path;
}

async function cgiDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cgi-test-" });
  await Deno.mkdir(`${dir}/cgi-bin/sub`, { recursive: true });
  await script(dir, "cgi-bin/env.sh", `#!/bin/sh\nprintf '20 text/plain\\r\\n'\nenv\n`);
  await script(
    dir,
    "cgi-bin/env.py",
    `#!${findPython()}\nimport os, sys\nsys.stdout.write("20 text/plain\\r\\n")\n` +
      `for k, v in sorted(os.environ.items()):\n    sys.stdout.write(k + "=" + v + "\\n")\n`,
  );
  await script(dir, "cgi-bin/sub/hello", `#!/bin/sh\nprintf '20 text/gemini\\r\\n# hi\\n'\n`);
  await script(dir, "cgi-bin/crash", `#!/bin/sh\necho oops >&2\nexit 3\n`);
  await script(dir, "cgi-bin/segv", `#!/bin/sh\nkill -SEGV $$\n`);
  await script(dir, "cgi-bin/bad-hello", `#!/bin/sh\necho hello\n`);
  await script(dir, "cgi-bin/bad-three", `#!/bin/sh\nprintf '200 text/gemini\\r\\nbody'\n`);
  await script(dir, "cgi-bin/bad-one", `#!/bin/sh\nprintf '2 text/gemini\\r\\n'\n`);
  await script(dir, "cgi-bin/bad-70", `#!/bin/sh\nprintf '70 what\\r\\n'\n`);
  await script(dir, "cgi-bin/silent", `#!/bin/sh\nexit 0\n`);
  await script(dir, "cgi-bin/not-found", `#!/bin/sh\nprintf '51 No such page\\r\\n'\n`);
  await script(
    dir,
    "cgi-bin/slow",
    `#!/bin/sh\nsleep 30 &\necho $! > "${dir}/slow.pid"\nwait\n`,
  );
  await script(
    dir,
    "cgi-bin/slow-body",
    `#!/bin/sh\nprintf '20 text/plain\\r\\nstart\\n'\nsleep 30\n`,
  );
  await script(
    dir,
    "cgi-bin/big",
    `#!/bin/sh\nprintf '20 application/octet-stream\\r\\n'\nhead -c 3000000 /dev/zero\n`,
  );
  await Deno.writeTextFile(`${dir}/cgi-bin/plain.txt`, "not executable");
  return dir;
}

/** Whether `pid` still runs (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

Deno.test("formatCgiTime() drops milliseconds", () => {
  assertEquals(
    formatCgiTime(new Date(Date.UTC(2026, 11, 1, 6, 7, 8, 999))),
    "2026-12-01T06:07:08Z",
  );
});

Deno.test("cgiEnvironment() sets certificate variables only with a certificate", async () => {
  const { info } = await generateCertificate("alice");
  const base = {
    url: new URL("gemini://example.org:1966/cgi/x/y?hello"),
    path: "/cgi/x/y",
    host: "example.org",
    remoteAddress: { hostname: "192.0.2.1", port: 5555 },
    requestId: "r",
    signal: new AbortController().signal,
  };
  const target = {
    scriptPath: "/srv/cgi/x",
    scriptName: "/cgi/x",
    pathInfo: "/y",
    documentRoot: "/srv/cgi",
  };
  const anonymous = cgiEnvironment({ ...base, clientCertificate: undefined }, target, {
    env: { GATEWAY_INTERFACE: "spoofed", LANG: "C" },
  });
  assertEquals(anonymous.GATEWAY_INTERFACE, "CGI/1.1");
  assertEquals(anonymous.LANG, "C");
  assertEquals(anonymous.SERVER_PORT, "1966");
  assertEquals(anonymous.GEMINI_SEARCH_STRING, "hello");
  assertEquals(anonymous.PATH_TRANSLATED, "/srv/cgi/y");
  assertEquals(anonymous.AUTH_TYPE, undefined);
  assertEquals(anonymous.TLS_CLIENT_HASH, undefined);
  const env = cgiEnvironment({ ...base, clientCertificate: info }, target);
  assertEquals(env.AUTH_TYPE, "Certificate");
  assertEquals(env.REMOTE_USER, "alice");
  assertEquals(env.TLS_CLIENT_HASH, `SHA256:${info.certSha256.toUpperCase()}`);
  assertEquals(env.TLS_CLIENT_SPKI_HASH, `SHA256:${info.spkiSha256.toUpperCase()}`);
  assertEquals(env.TLS_CLIENT_SUBJECT, "CN=alice");
  assertEquals(env.TLS_CLIENT_SUBJECT_CN, "alice");
  assertEquals(env.TLS_CLIENT_ISSUER_CN, "alice");
  assertMatch(env.TLS_CLIENT_NOT_AFTER, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assertMatch(env.TLS_CLIENT_HASH_B64, /^SHA256:[A-Za-z0-9_-]{43}=$/);
});

Deno.test("resolveCgiTarget() picks the shortest executable prefix and refuses escapes", async () => {
  const dir = await cgiDir();
  try {
    const root = await Deno.realPath(`${dir}/cgi-bin`);
    const t = await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/cgi/sub/hello/a/b/");
    assertEquals(t, {
      scriptPath: `${root}/sub/hello`,
      scriptName: "/cgi/sub/hello",
      pathInfo: "/a/b/",
      documentRoot: root,
    });
    assertEquals(await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/cgi/plain.txt"), undefined);
    assertEquals(await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/cgi/sub"), undefined);
    assertEquals(
      await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/cgi/../cgi-bin/crash"),
      undefined,
    );
    assertEquals(await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/other/crash"), undefined);
    await Deno.symlink("/bin/sh", `${dir}/cgi-bin/escape`);
    assertEquals(await resolveCgiTarget(`${dir}/cgi-bin`, "/cgi", "/cgi/escape"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: shell and Python programs see the documented variables", async () => {
  const dir = await cgiDir();
  const logger = memoryLogger();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi", logger }),
    HANDLER_TEST,
  );
  try {
    const identity = await generateCertificate("carol");
    for (const name of ["env.sh", "env.py"]) {
      const url = `gemini://localhost:${server.port}/cgi/${name}/more/path?a%20b+c`;
      const res = await fetchUrl(server.port, url, { identity });
      assertEquals([res.status, res.meta], [20, "text/plain"], name);
      const env = parseEnv(res.text);
      const root = await Deno.realPath(`${dir}/cgi-bin`);
      assertEquals(env.GATEWAY_INTERFACE, "CGI/1.1");
      assertEquals(env.GEMINI_URL, url);
      assertEquals(env.SCRIPT_NAME, `/cgi/${name}`);
      assertEquals(env.SCRIPT_FILENAME, `${root}/${name}`);
      assertEquals(env.PATH_INFO, "/more/path");
      assertEquals(env.QUERY_STRING, "a%20b+c");
      assertEquals(env.SERVER_NAME, "localhost");
      assertEquals(env.SERVER_PORT, String(server.port));
      assertEquals(env.SERVER_PROTOCOL, "GEMINI");
      assertMatch(env.SERVER_SOFTWARE, /^gemini\/\d+\.\d+\.\d+/);
      assertEquals(env.REMOTE_ADDR, "127.0.0.1");
      assertEquals(env.REMOTE_HOST, "127.0.0.1");
      assertMatch(env.TLS_VERSION, /^TLSv1\.[23]$/);
      assertMatch(env.TLS_CIPHER, /^TLS_[A-Z0-9_]+$/);
      assertEquals(env.AUTH_TYPE, "Certificate");
      assertEquals(env.REMOTE_USER, "carol");
      assertEquals(env.TLS_CLIENT_HASH, `SHA256:${identity.info.certSha256.toUpperCase()}`);
      assertEquals(env.TLS_CLIENT_SUBJECT, "CN=carol");
      assertEquals(env.TLS_CLIENT_NOT_BEFORE, formatCgiTime(identity.info.notBefore));
      assertEquals(env.TLS_CLIENT_NOT_AFTER, formatCgiTime(identity.info.notAfter));
      // Nothing of the server's own environment leaks through.
      assertEquals(env.HOME, undefined);
      assertEquals(env.DENO_DIR, undefined);
    }
    const anonymous = parseEnv(
      (await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/env.sh`)).text,
    );
    assertEquals(anonymous.AUTH_TYPE, undefined);
    assertEquals(anonymous.TLS_CLIENT_HASH, undefined);
    assertEquals(anonymous.PATH_INFO, "");
    assertEquals(anonymous.QUERY_STRING, "");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: crash, bad header and timeout give 42 and a log line while the server keeps serving", async () => {
  const dir = await cgiDir();
  const logger = memoryLogger();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi", timeoutMs: 700, logger }),
    HANDLER_TEST,
  );
  const base = `gemini://localhost:${server.port}/cgi`;
  try {
    const cases: [string, string][] = [
      ["crash", "exited with status 3"],
      ["segv", "killed by SIGSEGV"],
      ["bad-hello", "invalid response header"],
      ["bad-three", "invalid response header"],
      ["bad-one", "invalid response header"],
      ["bad-70", "invalid response header"],
      ["silent", "exited without writing a response header"],
      ["slow", "timed out after 700 ms"],
    ];
    for (const [name, logged] of cases) {
      const before = logger.lines.length;
      const res = await fetchUrl(server.port, `${base}/${name}`);
      assertEquals(res.status, 42, name);
      assertEquals(res.text, "", name);
      const newLines = logger.lines.slice(before).join("\n");
      assertStringIncludes(newLines, logged, name);
      const ok = await fetchUrl(server.port, `${base}/sub/hello`);
      assertEquals([ok.status, ok.text], [20, "# hi\n"], `serving after ${name}`);
    }
    assertStringIncludes(logger.lines.join("\n"), "stderr: oops");
    // The timeout killed the whole process group, including the background sleep.
    const pid = Number(await Deno.readTextFile(`${dir}/slow.pid`));
    await waitFor(() => !alive(pid), `background process ${pid} to be gone`, { timeoutMs: 1000 });
    assert(!alive(pid), `background process ${pid} survived the timeout`);
    const res = await fetchUrl(server.port, `${base}/not-found`);
    assertEquals([res.status, res.meta], [51, "No such page"]);
    assertEquals((await fetchUrl(server.port, `${base}/plain.txt`)).status, 51);
    assertEquals((await fetchUrl(server.port, `${base}/nothing`)).status, 51);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: a timeout after the header ends the body and is logged", async () => {
  const dir = await cgiDir();
  const logger = memoryLogger();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi", timeoutMs: 500, logger }),
    HANDLER_TEST,
  );
  try {
    const res = await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/slow-body`);
    assertEquals([res.status, res.text], [20, "start\n"]);
    assertStringIncludes(logger.lines.join("\n"), "timed out after 500 ms while sending its body");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: shell metacharacters in the path and query reach the program as data", async () => {
  const dir = await cgiDir();
  const server = await startServer(
    cgiHandler({ program: `${dir}/cgi-bin/env.sh`, mount: "/app" }),
    HANDLER_TEST,
  );
  try {
    const payload = `;$(touch ${dir}/p1);\`touch ${dir}/p2\`;'"|&<>*`;
    const encoded = encodeURIComponent(payload);
    // A path segment may not hold an encoded slash (59), so the path's payload names the
    // files relative to the program's directory.
    const pathPayload = `;$(touch ../p1);\`touch ../p2\`;'"|&<>*`;
    const url = `gemini://localhost:${server.port}/app/x${
      encodeURIComponent(pathPayload).replaceAll("%2F", "/")
    }?${encoded}`;
    const res = await fetchUrl(server.port, url);
    assertEquals(res.status, 20);
    const env = parseEnv(res.text);
    assertEquals(env.SCRIPT_NAME, "/app");
    assertEquals(env.PATH_INFO, `/x${pathPayload}`);
    assertEquals(env.QUERY_STRING, encoded);
    assertEquals(env.GEMINI_SEARCH_STRING, payload);
    for (const name of ["p1", "p2"]) {
      let exists = true;
      try {
        await Deno.stat(`${dir}/${name}`);
      } catch {
        exists = false;
      }
      assert(!exists, `${name} was created: request data reached a shell`);
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: a large body is streamed through whole", async () => {
  const dir = await cgiDir();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi" }),
    HANDLER_TEST,
  );
  try {
    const res = await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/big`);
    assertEquals([res.status, res.meta, res.body.length], [
      20,
      "application/octet-stream",
      3_000_000,
    ]);
    assert(res.body.every((b) => b === 0));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Polls until `pid` is no longer running (bounded); returns whether it went. */
async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  await waitFor(() => !alive(pid), `process ${pid} to end`, { timeoutMs: ms }).catch(() => {});
  return !alive(pid);
}

function readPid(path: string): Promise<number> {
  return waitForValue(
    async () => {
      const text = await Deno.readTextFile(path).catch(() => "");
      return /^\d+\s*$/.test(text) ? Number(text) : undefined;
    },
    `a pid in ${path}`,
    { timeoutMs: 5000 },
  );
}

Deno.test("cgi: a child holding stdout open ends the response at cgi_timeout, and the child is killed, also when it left the process group", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cgi-test-" });
  const pids: number[] = [];
  const header = `printf '20 text/plain\\r\\nline\\n'`;
  // The child keeps the program's stdout for 40 s; the program exits at once (status 0).
  await script(
    dir,
    "group",
    `#!/bin/sh\n${header}\nsh -c 'echo $$ > "${dir}/group.pid"; exec sleep 40' &\n`,
  );
  await script(
    dir,
    "escaped",
    `#!/bin/sh\n${header}\nsetsid sh -c 'echo $$ > "${dir}/escaped.pid"; exec sleep 40' &\n`,
  );
  // A child that also cleared its environment cannot be found: the response still ends.
  await script(
    dir,
    "hidden",
    `#!/bin/sh\n${header}\nsetsid env -i sh -c 'echo $$ > "${dir}/hidden.pid"; exec sleep 40' &\n`,
  );
  const logger = memoryLogger();
  const server = await startServer(
    cgiHandler({ root: dir, mount: "/cgi", timeoutMs: 2000, logger }),
    HANDLER_TEST,
  );
  try {
    for (const name of ["group", "escaped", "hidden"]) {
      const started = Date.now();
      const res = await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/${name}`);
      const took = Date.now() - started;
      assertEquals([res.status, res.text], [20, "line\n"], name);
      // Ended at the deadline (2 s), far from the child's 40 s; cut short, so no close_notify.
      assert(took >= 1500 && took < 20_000, `${name}: the response took ${took} ms`);
      assertEquals(res.closeNotify, false, name);
      const pid = await readPid(`${dir}/${name}.pid`);
      pids.push(pid);
      if (name !== "hidden") assert(await waitGone(pid), `${name}: child ${pid} survived`);
    }
    assertStringIncludes(logger.lines.join("\n"), "timed out after 2000 ms while sending its body");
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL"); // the hidden child, started by this test
      } catch {
        // gone
      }
    }
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: a program that dies after its header (signal or non-zero exit) ends the connection without close_notify", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cgi-test-" });
  // The pause lets the partial body reach the client before the program dies: what this
  // test guards is the missing close_notify, not the timing of the last write.
  const header = `printf '20 text/plain\\r\\npartial\\n'\nsleep 0.2`;
  await script(dir, "killed", `#!/bin/sh\n${header}\nkill -KILL $$\n`);
  await script(dir, "failed", `#!/bin/sh\n${header}\nexit 3\n`);
  await script(dir, "fine", `#!/bin/sh\n${header}\nexit 0\n`);
  const logger = memoryLogger();
  const server = await startServer(cgiHandler({ root: dir, mount: "/cgi", logger }), HANDLER_TEST);
  try {
    for (const [name, notify] of [["killed", false], ["failed", false], ["fine", true]] as const) {
      const res = await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/${name}`);
      assertEquals([res.status, res.text], [20, "partial\n"], name);
      assertEquals(res.closeNotify, notify, name);
    }
    const log = logger.lines.join("\n");
    assertStringIncludes(log, "was killed by SIGKILL after its header; the body is cut short");
    assertStringIncludes(log, "exited with status 3 after its header; the body is cut short");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Sends `url` over node:tls, then half-closes TCP (`end()`); resolves with all it got. */
function requestThenHalfClose(port: number, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, 15_000);
    const socket = tls.connect(
      { port, host: "127.0.0.1", rejectUnauthorized: false, servername: "localhost" },
      () => socket.end(`${url}\r\n`),
    );
    socket.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

Deno.test("cgi: a client that half-closes TCP right after its request still gets the response (both backends)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cgi-test-" });
  // The program answers after a moment, when the client's FIN has surely arrived.
  await script(dir, "late", `#!/bin/sh\nsleep 0.3\nprintf '20 text/plain\\r\\nlate body\\n'\n`);
  try {
    for (const backend of ["node", "deno"] as const) {
      const server = await startServer(cgiHandler({ root: dir, mount: "/cgi" }), {
        ...HANDLER_TEST,
        backend,
        requestClientCertificate: backend === "node",
      });
      try {
        const text = await requestThenHalfClose(
          server.port,
          `gemini://localhost:${server.port}/cgi/late`,
        );
        assertEquals(text, "20 text/plain\r\nlate body\n", backend);
      } finally {
        await server.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: %00 in the query runs the program: QUERY_STRING raw, GEMINI_SEARCH_STRING left out (was 42)", async () => {
  const dir = await cgiDir();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi" }),
    HANDLER_TEST,
  );
  try {
    const res = await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/env.sh?a%00b`);
    assertEquals(res.status, 20);
    const env = parseEnv(res.text);
    assertEquals(env.QUERY_STRING, "a%00b");
    assertEquals(env.GEMINI_SEARCH_STRING, undefined);
    assertEquals(env.GEMINI_URL, `gemini://localhost:${server.port}/cgi/env.sh?a%00b`);
    // %01 is no NUL: decoded as usual.
    const one = parseEnv(
      (await fetchUrl(server.port, `gemini://localhost:${server.port}/cgi/env.sh?a%01b`)).text,
    );
    assertEquals(one.GEMINI_SEARCH_STRING, "a\x01b");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgiEnvironment() never sets PATH_TRANSLATED outside the CGI directory and leaves out values holding NUL", () => {
  const request = {
    url: new URL("gemini://example.org/app/x?q%00"),
    path: "/app/x",
    host: "example.org",
    clientCertificate: undefined,
    remoteAddress: { hostname: "192.0.2.1", port: 5555 },
    requestId: "r",
    signal: new AbortController().signal,
  };
  const target = (pathInfo: string) => ({
    scriptPath: "/srv/app/bin/app",
    scriptName: "/app",
    pathInfo,
    documentRoot: "/srv/app/bin",
  });
  const cases: [string, string | undefined][] = [
    ["/x", "/srv/app/bin/x"],
    ["/x/../y", "/srv/app/bin/y"],
    ["/x/..", "/srv/app/bin"],
    ["/x/../../etc/passwd", undefined],
    ["/..", undefined],
    ["/../bin-other/f", undefined],
    ["/x/../../../../../../etc/passwd", undefined],
    ["", undefined],
  ];
  for (const [pathInfo, expected] of cases) {
    const env = cgiEnvironment(request, target(pathInfo));
    assertEquals(env.PATH_TRANSLATED, expected, pathInfo);
    assertEquals(env.PATH_INFO, pathInfo);
  }
  const env = cgiEnvironment(request, target(""));
  assertEquals(env.QUERY_STRING, "q%00");
  assert(!("GEMINI_SEARCH_STRING" in env));
  assert(Object.values(env).every((v) => !v.includes("\0")));
});

Deno.test("cgi: PATH_TRANSLATED stays inside the directory for a decoded path that climbs out (handler called directly)", async () => {
  const dir = await cgiDir();
  const handler = cgiHandler({ program: `${dir}/cgi-bin/env.sh`, mount: "/app" });
  try {
    // The server refuses encoded slashes before any handler; the CGI module is safe alone.
    const reply = await handler(
      handlerRequest("gemini://localhost/app/x/..%2F..%2F..%2Fetc%2Fpasswd", {
        path: "/app/x/../../../etc/passwd",
      }),
    );
    assertEquals(reply.status, 20);
    const env = parseEnv(await new Response(reply.body as ReadableStream).text());
    assertEquals(env.PATH_INFO, "/x/../../../etc/passwd");
    assertEquals(env.PATH_TRANSLATED, undefined);
    const inside = await handler(
      handlerRequest("gemini://localhost/app/a/b", { path: "/app/a/b" }),
    );
    const envInside = parseEnv(await new Response(inside.body as ReadableStream).text());
    assertEquals(envInside.PATH_TRANSLATED, `${dir}/cgi-bin/a/b`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: lookups that mean no such program answer 51: a 256-byte name, a file used as a directory", async () => {
  const dir = await cgiDir();
  const server = await startServer(
    cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi" }),
    HANDLER_TEST,
  );
  const base = `gemini://localhost:${server.port}/cgi`;
  try {
    for (
      const path of ["m".repeat(255), "m".repeat(256), `sub/${"m".repeat(256)}/x`, "plain.txt/x"]
    ) {
      const res = await fetchUrl(server.port, `${base}/${path}`);
      assertEquals([res.status, res.meta], [51, "Not found"], `${path.length} bytes`);
    }
    assertEquals((await fetchUrl(server.port, `${base}/sub/hello`)).status, 20);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cgi: a real I/O fault while looking for the program is an error (40), not 51", async () => {
  const dir = await cgiDir();
  const stat = Deno.stat;
  // EIO cannot be provoked on a healthy disk: the lookup of one name fails with it.
  Deno.stat = (path: string | URL) =>
    String(path).endsWith("/faulty")
      ? Promise.reject(Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" }))
      : stat(path);
  try {
    const handler = cgiHandler({ root: `${dir}/cgi-bin`, mount: "/cgi" });
    const fault = await Promise.resolve(
      handler(handlerRequest("gemini://localhost/cgi/faulty", { path: "/cgi/faulty" })),
    ).then(() => undefined, (error) => error);
    assert(fault instanceof Error && fault.message.includes("Input/output"), String(fault));
    const missing = await handler(handlerRequest("gemini://localhost/cgi/nothing"));
    assertEquals(missing.status, 51);
  } finally {
    Deno.stat = stat;
    await Deno.remove(dir, { recursive: true });
  }
});
