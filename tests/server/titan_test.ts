import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import { mimeAllowed, titanHandler, type TitanOptions } from "../../lib/server/titan.ts";
import { titanUpload } from "../../lib/client/titan.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl, HANDLER_TEST, memoryLogger, startServer } from "./_harness.ts";
import { createLogger } from "../../lib/server/logger.ts";
import { AccessLog } from "../../lib/server/access_log.ts";
import { handlerRequest } from "./_request.ts";

const encoder = new TextEncoder();

Deno.test("mimeAllowed() matches exact types and wildcards, ignoring parameters", () => {
  assert(mimeAllowed("text/plain", undefined));
  assert(mimeAllowed("text/plain; charset=utf-8", ["text/*"]));
  assert(mimeAllowed("image/PNG", ["image/png"]));
  assert(!mimeAllowed("image/png", ["text/*", "application/json"]));
});

Deno.test("titanHandler() refuses uploads when no authorisation is configured", async () => {
  const handler = titanHandler({ root: "/nonexistent" });
  const req = handlerRequest("titan://localhost/x;size=1", { path: "/x" });
  assertEquals((await handler(req)).status, 61);
  const gemini = await handler({ ...req, url: new URL("gemini://localhost/x") });
  assertEquals(gemini.status, 59);
});

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function withTitan(
  options: Omit<TitanOptions, "root">,
  fn: (ctx: { dir: string; port: number; base: string; lines: string[] }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "titan-test-" });
  const logger = memoryLogger();
  // gemini:// requests read the uploaded files back.
  const handler = titanHandler({ root: dir, mount: "/wiki", logger, ...options }, async (req) => {
    try {
      const text = await Deno.readTextFile(`${dir}/${req.path.slice("/wiki/".length)}`);
      return { status: 20, meta: "text/plain", body: text };
    } catch {
      return { status: 51, meta: "Not found" };
    }
  });
  const server = await startServer(handler, HANDLER_TEST);
  try {
    await fn({
      dir,
      port: server.port,
      base: `localhost:${server.port}/wiki`,
      lines: logger.lines,
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("titan: upload then fetch round-trip answers 30 to the gemini URL", async () => {
  await withTitan({ tokens: ["s3cret"], mimeTypes: ["text/*"] }, async ({ dir, port, base }) => {
    const data = encoder.encode("# Hello\nfrom Titan\n");
    const result = await titanUpload(`titan://${base}/notes/hello.gmi`, data, {
      token: "s3cret",
      mime: "text/gemini",
    });
    assertEquals([result.status, result.meta], [30, `gemini://${base}/notes/hello.gmi`]);
    const fetched = await fetchUrl(port, result.meta);
    assertEquals([fetched.status, fetched.text], [20, "# Hello\nfrom Titan\n"]);
    // Replacing works the same way, and no temporary file is left behind.
    await titanUpload(`titan://${base}/notes/hello.gmi`, encoder.encode("v2"), { token: "s3cret" });
    assertEquals((await fetchUrl(port, result.meta)).text, "v2");
    assertEquals(await listing(`${dir}/notes`), ["hello.gmi"]);
  });
});

Deno.test("titan: over-size, wrong token, wrong MIME and long bodies are refused with nothing written", async () => {
  await withTitan(
    { tokens: ["s3cret"], mimeTypes: ["text/plain"], maxSize: 10 },
    async ({ dir, port, base }) => {
      const url = `titan://${base}/page.txt`;
      const big = await titanUpload(url, encoder.encode("12345678901"), {
        token: "s3cret",
        mime: "text/plain",
      });
      assertEquals(big.status, 59);
      assertStringIncludes(big.meta, "too large");
      const exact = await titanUpload(url, encoder.encode("1234567890"), {
        token: "s3cret",
        mime: "text/plain",
      });
      assertEquals(exact.status, 30);
      await Deno.remove(`${dir}/page.txt`);
      const wrong = await titanUpload(url, encoder.encode("x"), {
        token: "guess",
        mime: "text/plain",
      });
      assertEquals([wrong.status, wrong.meta], [59, "Wrong or missing token"]);
      const none = await titanUpload(url, encoder.encode("x"), { mime: "text/plain" });
      assertEquals(none.status, 59);
      const mime = await titanUpload(url, encoder.encode("x"), {
        token: "s3cret",
        mime: "image/png",
      });
      assertEquals(mime.status, 59);
      assertStringIncludes(mime.meta, "image/png");
      const defaultMime = await titanUpload(url, encoder.encode("x"), { token: "s3cret" });
      assertEquals(defaultMime.status, 59, "text/gemini is not on the list");
      const long = await fetchUrl(
        port,
        `titan://${base}/page.txt;size=3;mime=text/plain;token=s3cret`,
        {
          upload: encoder.encode("abcdef"),
        },
      );
      assertEquals(long.status, 59);
      const escape = await titanUpload(
        `titan://${base}/..%2F..%2Fescape.txt`,
        encoder.encode("x"),
        {
          token: "s3cret",
          mime: "text/plain",
        },
      );
      assertEquals(escape.status, 59);
      for (const hidden of [".htaccess", "dir/.secret", ".page.txt.1234.titan-tmp"]) {
        const res = await titanUpload(`titan://${base}/${hidden}`, encoder.encode("x"), {
          token: "s3cret",
          mime: "text/plain",
        });
        assertEquals(res.status, 59, hidden);
      }
      assertEquals(await listing(dir), []);
    },
  );
});

Deno.test("titan: a client that disconnects mid-body leaves no file and no temporary file", async () => {
  await withTitan({ tokens: ["t"], timeoutMs: 5000 }, async ({ dir, port, base, lines }) => {
    const data = encoder.encode("0123456789".repeat(100));
    await fetchUrl(port, `titan://${base}/cut.gmi;size=${data.length};token=t`, {
      upload: data,
      abortAfter: 400,
    });
    await waitFor(() => lines.some((l) => l.includes("nothing written")), "the log line");
    assertStringIncludes(lines.join("\n"), "nothing written");
    assertEquals(await listing(dir), []);
  });
});

Deno.test("titan: a short body times out with 59 and leaves nothing", async () => {
  await withTitan({ tokens: ["t"], timeoutMs: 300 }, async ({ dir, port, base }) => {
    // The harness client stops sending after 3 of 10 bytes but keeps the connection open
    // until the server answers.
    const res = await fetchUrl(port, `titan://${base}/short.gmi;size=10;token=t`, {
      upload: encoder.encode("abc"),
    });
    assertEquals([res.status, res.meta], [59, "Upload timed out"]);
    assertEquals(await listing(dir), []);
  });
});

Deno.test("titan: client-certificate allow list, with and without token", async () => {
  const writer = await generateCertificate("writer");
  const stranger = await generateCertificate("stranger");
  await withTitan({ allow: [writer.info.spkiSha256] }, async ({ base }) => {
    const url = `titan://${base}/by-cert.gmi`;
    assertEquals((await titanUpload(url, encoder.encode("x"), { identity: writer })).status, 30);
    assertEquals((await titanUpload(url, encoder.encode("x"), { identity: stranger })).status, 61);
    assertEquals((await titanUpload(url, encoder.encode("x"))).status, 60);
  });
  await withTitan(
    { allow: [writer.info.spkiSha256], tokens: ["t"], requireBoth: true },
    async ({ base }) => {
      const url = `titan://${base}/both.gmi`;
      assertEquals((await titanUpload(url, encoder.encode("x"), { identity: writer })).status, 59);
      assertEquals((await titanUpload(url, encoder.encode("x"), { token: "t" })).status, 60);
      const ok = await titanUpload(url, encoder.encode("x"), { identity: writer, token: "t" });
      assertEquals(ok.status, 30);
    },
  );
  await withTitan({ allow: [writer.info.spkiSha256], tokens: ["t"] }, async ({ base }) => {
    const url = `titan://${base}/either.gmi`;
    assertEquals((await titanUpload(url, encoder.encode("x"), { token: "t" })).status, 30);
    assertEquals((await titanUpload(url, encoder.encode("x"), { identity: writer })).status, 30);
    assertEquals((await titanUpload(url, encoder.encode("x"), { token: "no" })).status, 59);
  });
});

Deno.test("titan: size=0 deletes only where allowed", async () => {
  await withTitan({ tokens: ["t"], allowDelete: true }, async ({ dir, port, base }) => {
    await Deno.writeTextFile(`${dir}/old.gmi`, "old");
    const res = await titanUpload(`titan://${base}/old.gmi`, new Uint8Array(), { token: "t" });
    assertEquals([res.status, res.meta], [30, `gemini://${base}/old.gmi`]);
    assertEquals(await listing(dir), []);
    assertEquals((await fetchUrl(port, `gemini://${base}/old.gmi`)).status, 51);
    const again = await titanUpload(`titan://${base}/old.gmi`, new Uint8Array(), { token: "t" });
    assertEquals(again.status, 51);
  });
  await withTitan({ tokens: ["t"] }, async ({ dir, base }) => {
    await Deno.writeTextFile(`${dir}/keep.gmi`, "keep");
    const res = await titanUpload(`titan://${base}/keep.gmi`, new Uint8Array(), { token: "t" });
    assertEquals(res.status, 59);
    assertEquals(await Deno.readTextFile(`${dir}/keep.gmi`), "keep");
  });
});

Deno.test("titan: a server that does not list the titan scheme answers 53", async () => {
  const server = await startServer(() => ({ status: 20, meta: "text/plain", body: "x" }), {
    ...HANDLER_TEST,
    schemes: ["gemini"],
  });
  try {
    const res = await fetchUrl(server.port, `titan://localhost:${server.port}/x;size=1`, {
      upload: encoder.encode("x"),
    });
    assertEquals(res.status, 53);
  } finally {
    await server.close();
  }
});

/** Lines a real logger (text format) and access log wrote, one string per write. */
function writtenLines(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => void lines.push(line) };
}

Deno.test("titan: the token never reaches the error log or the access log (uploads, refusals, malformed parameters)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "titan-test-" });
  const errors = writtenLines();
  const access = writtenLines();
  const server = await startServer(
    titanHandler({
      root: dir,
      mount: "/wiki",
      tokens: ["s3cret-token"],
      logger: createLogger(errors, { level: "debug" }),
    }),
    { ...HANDLER_TEST, accessLog: new AccessLog(access) },
  );
  const base = `titan://localhost:${server.port}/wiki`;
  try {
    const ok = await titanUpload(`${base}/a.gmi`, encoder.encode("x"), { token: "s3cret-token" });
    assertEquals(ok.status, 30);
    const wrong = await titanUpload(`${base}/a.gmi`, encoder.encode("x"), {
      token: "guessed-token",
    });
    assertEquals(wrong.status, 59);
    const malformed = [
      `${base}/b.gmi;size=abc;token=s3cret-token`,
      `${base}/b.gmi;token=s3cret-token`,
      `${base}/b.gmi;mime=text/plain;token=guessed-token;size=-1`,
    ];
    for (const url of malformed) {
      assertEquals((await fetchUrl(server.port, url, { upload: encoder.encode("x") })).status, 59);
    }
    await waitFor(() => access.lines.length === 2 + malformed.length, "the access log");
    const all = [...errors.lines, ...access.lines].join("");
    assertStringIncludes(errors.lines.join(""), "stored 1 bytes");
    assertStringIncludes(errors.lines.join(""), "refused: 59");
    assert(!all.includes("s3cret-token"), all);
    assert(!all.includes("guessed-token"), all);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("titan: a CRLF in mime= cannot add a line to the log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "titan-test-" });
  const errors = writtenLines();
  const server = await startServer(
    titanHandler({ root: dir, mount: "/wiki", tokens: ["t"], logger: createLogger(errors) }),
    HANDLER_TEST,
  );
  try {
    const forged = "text/plain\r\n2030-01-01T00:00:00.000Z error forged: disk on fire";
    const res = await titanUpload(
      `titan://localhost:${server.port}/wiki/page.txt`,
      encoder.encode("x"),
      { token: "t", mime: forged },
    );
    assertEquals([res.status, res.meta], [59, "Media type holds control characters"]);
    // A well-formed upload is still logged, as one line.
    const ok = await titanUpload(
      `titan://localhost:${server.port}/wiki/page.txt`,
      encoder.encode("x"),
      { token: "t", mime: "text/plain" },
    );
    assertEquals(ok.status, 30);
    assert(errors.lines.length > 0);
    for (const line of errors.lines) {
      assertEquals(line.indexOf("\n"), line.length - 1, JSON.stringify(line));
      assert(!line.includes("\r") && !line.includes("forged"), JSON.stringify(line));
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("titan: directory creation never follows a symlink out of the root (nothing is created outside)", async () => {
  const outside = await Deno.makeTempDir({ prefix: "titan-outside-" });
  try {
    await withTitan({ tokens: ["t"] }, async ({ dir, base }) => {
      await Deno.symlink(outside, `${dir}/out`);
      await Deno.mkdir(`${dir}/real`);
      await Deno.symlink(`${dir}/real`, `${dir}/in`);
      for (const path of ["out/sub/deeper/f.txt", "out/sub/f.txt", "out/f.txt"]) {
        const res = await titanUpload(`titan://${base}/${path}`, encoder.encode("x"), {
          token: "t",
        });
        assertEquals([res.status, res.meta], [59, "Cannot upload to this path"], path);
      }
      assertEquals(await listing(outside), [], "created outside the root");
      // A link to a directory inside the root is followed.
      const inside = await titanUpload(`titan://${base}/in/new/f.txt`, encoder.encode("in"), {
        token: "t",
      });
      assertEquals(inside.status, 30);
      assertEquals(await Deno.readTextFile(`${dir}/real/new/f.txt`), "in");
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("titan: lookups that mean no such file answer 51 (a 256-byte name, a file used as a directory); a 255-byte name is stored", async () => {
  await withTitan({ tokens: ["t"], allowDelete: true }, async ({ dir, base }) => {
    const longest = "n".repeat(251) + ".gmi";
    const stored = await titanUpload(`titan://${base}/${longest}`, encoder.encode("long"), {
      token: "t",
    });
    assertEquals([stored.status, stored.meta], [30, `gemini://${base}/${longest}`]);
    assertEquals(await Deno.readTextFile(`${dir}/${longest}`), "long");
    for (const path of ["n".repeat(252) + ".gmi", `sub/${"m".repeat(256)}/x.gmi`]) {
      const res = await titanUpload(`titan://${base}/${path}`, encoder.encode("x"), {
        token: "t",
      });
      assertEquals([res.status, res.meta], [51, "Not found"], path);
      const gone = await titanUpload(`titan://${base}/${path}`, new Uint8Array(), { token: "t" });
      assertEquals(gone.status, 51, `delete ${path}`);
    }
    // ENOTDIR: a file in the middle of the path.
    await Deno.writeTextFile(`${dir}/file.txt`, "f");
    const under = await titanUpload(`titan://${base}/file.txt/x.gmi`, encoder.encode("x"), {
      token: "t",
    });
    assertEquals(under.status, 51);
    const del = await titanUpload(`titan://${base}/file.txt/x.gmi`, new Uint8Array(), {
      token: "t",
    });
    assertEquals(del.status, 51);
    assertEquals(await listing(dir), [longest, "file.txt"].sort());
  });
});
