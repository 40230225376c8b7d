import net from "node:net";
import { assertEquals, assertRejects, assertStringIncludes } from "../_helpers/assert.ts";
import {
  answer,
  type GeminiTestRequest,
  startGeminiServer,
  withGeminiServer,
} from "../_helpers/gemini_server.ts";
import { memoryClient as client } from "../_helpers/memory_stores.ts";
import { ClientError } from "../../lib/client/types.ts";

function pathOf(line: string): string {
  const url = new URL(line);
  return url.pathname + url.search;
}

// ---------------------------------------------------------------------------------------
// redirects

Deno.test("Client follows relative redirects and records the chain", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/a?q=1") return answer(conn, "31 b\r\n");
    if (path === "/b") return answer(conn, "30 ../c/./d\r\n");
    return answer(conn, "20 text/gemini\r\n", `at ${path}\n`);
  }, async (server) => {
    const response = await client().fetch(server.url("/a?q=1"));
    assertEquals(response.status, 20);
    assertEquals(response.url.href, server.url("/c/d"));
    assertEquals(response.redirects.map((u) => u.href), [server.url("/a?q=1"), server.url("/b")]);
    assertEquals(await response.text(), "at /c/d\n");
  });
});

Deno.test("Client detects a redirect loop before following it again", async () => {
  await withGeminiServer(
    ({ line, conn }) => answer(conn, pathOf(line) === "/a" ? "30 /b\r\n" : "30 /a\r\n"),
    async (server) => {
      const error = await assertRejects(() => client().fetch(server.url("/a")), ClientError);
      assertEquals(error.code, "redirect-loop");
      assertStringIncludes(error.message, `${server.url("/a")} -> ${server.url("/b")}`);
      assertEquals(server.lines.length, 2);
    },
  );
});

Deno.test("Client follows at most 5 redirects by default and maxRedirects otherwise", async () => {
  await withGeminiServer(({ line, conn }) => {
    const n = Number(pathOf(line).slice(1));
    return answer(conn, n >= 10 ? "20 text/plain\r\n" : `30 /${n + 1}\r\n`, "end\n");
  }, async (server) => {
    const error = await assertRejects(() => client().fetch(server.url("/0")), ClientError);
    assertEquals(error.code, "too-many-redirects");
    // The library says what happened; the remedy (a flag) is the application's to name.
    assertStringIncludes(error.message, `More than 5 redirects: ${server.url("/0")} -> `);
    assertEquals(error.message.includes("--"), false, error.message);
    assertEquals(server.lines.length, 6);
    const ok = await client({ maxRedirects: 10 }).fetch(server.url("/0"));
    assertEquals(ok.redirects.length, 10);
    assertEquals(await ok.text(), "end\n");
    const five = await client().fetch(server.url("/5"));
    assertEquals(five.redirects.length, 5);
    await five.bytes();
  });
});

Deno.test("Client follows a redirect to another host unless the hook says no", async () => {
  await withGeminiServer(({ line, conn }) => {
    const url = new URL(line);
    if (url.hostname === "localhost") {
      return answer(conn, `30 gemini://127.0.0.1:${url.port}/there\r\n`);
    }
    return answer(conn, "20 text/plain\r\n", `host ${url.hostname}\n`);
  }, async (server) => {
    const response = await client().fetch(server.url("/here"));
    assertEquals(await response.text(), "host 127.0.0.1\n");
    const asked: string[] = [];
    const refused = await client({
      hooks: {
        onRedirect: ({ to }) => {
          asked.push(to.href);
          return Promise.resolve(false);
        },
      },
    }).fetch(server.url("/here"));
    assertEquals(refused.status, 30);
    assertEquals(asked, [`gemini://127.0.0.1:${server.port}/there`]);
  });
});

Deno.test("Client refuses a redirect to another scheme without allowSchemeChange", async () => {
  await withGeminiServer(
    ({ conn }) => answer(conn, "30 https://example.org/page\r\n"),
    async (server) => {
      const error = await assertRejects(() => client().fetch(server.url("/")), ClientError);
      assertEquals(error.code, "scheme-change");
      assertStringIncludes(error.message, "another scheme; not followed");
      assertEquals(error.message.includes("--"), false, error.message);
      assertStringIncludes(error.message, "https://example.org/page");
      // Allowed, the https URL is then subject to the proxy rule.
      const next = await assertRejects(
        () => client({ allowSchemeChange: true }).fetch(server.url("/")),
        ClientError,
      );
      assertEquals(next.code, "unsupported-scheme");
      const viaHook = await assertRejects(
        () => client({ hooks: { onRedirect: () => Promise.resolve(true) } }).fetch(server.url("/")),
        ClientError,
      );
      assertEquals(viaHook.code, "unsupported-scheme");
    },
  );
});

Deno.test("Client refuses a redirect with an empty target as a bad header", async () => {
  await withGeminiServer(({ conn }) => answer(conn, "30 \r\n"), async (server) => {
    const error = await assertRejects(() => client().fetch(server.url("/")), ClientError);
    assertEquals(error.code, "bad-header");
  });
});

// ---------------------------------------------------------------------------------------
// retries

Deno.test("Client waits the seconds of 44 then gets the 20 (a 44 storm is bounded)", async () => {
  await withGeminiServer(
    ({ conn, index }) =>
      index === 0 ? answer(conn, "44 1\r\n") : answer(conn, "20 text/plain\r\n", "finally\n"),
    async (server) => {
      const waits: { status: number; seconds: number; attempt: number }[] = [];
      const response = await client({
        hooks: {
          onRetryWait: ({ status, seconds, attempt }) => waits.push({ status, seconds, attempt }),
        },
      }).fetch(server.url("/"));
      assertEquals(response.status, 20);
      assertEquals(await response.text(), "finally\n");
      assertEquals(waits, [{ status: 44, seconds: 1, attempt: 1 }]);
      assertEquals(server.lines.length, 2);
    },
  );
});

Deno.test("Client does not retry a 44 whose wait does not fit in maxWaitSeconds (default 30 in all)", async () => {
  await withGeminiServer(({ conn }) => answer(conn, "44 3600\r\n"), async (server) => {
    const waits: number[] = [];
    const response = await client({
      hooks: { onRetryWait: ({ seconds }) => void waits.push(seconds) },
    }).fetch(server.url("/"));
    assertEquals([response.status, response.meta], [44, "3600"]);
    assertEquals(response.retries, { count: 0, waitedSeconds: 0, stopped: "max-wait" });
    assertEquals(waits, []);
    assertEquals(server.lines.length, 1);
  });
});

Deno.test("Client backs off exponentially when 44 carries text, not seconds", async () => {
  await withGeminiServer(({ conn }) => answer(conn, "44 slow down please\r\n"), async (server) => {
    const waits: number[] = [];
    const response = await client({
      retries: 2,
      hooks: { onRetryWait: ({ seconds }) => void waits.push(seconds) },
    }).fetch(server.url("/"));
    assertEquals(response.status, 44);
    assertEquals(waits, [1, 2]);
    assertEquals(response.retries, { count: 2, waitedSeconds: 3, stopped: "retries" });
    assertEquals(server.lines.length, 3);
    // No time to wait: no retry at all (a retry is never made early).
    const none: number[] = [];
    const unretried = await client({
      retries: 4,
      maxWaitSeconds: 0,
      hooks: { onRetryWait: ({ seconds }) => void none.push(seconds) },
    }).fetch(server.url("/"));
    assertEquals(none, []);
    assertEquals(unretried.retries?.stopped, "max-wait");
    assertEquals(server.lines.length, 4);
  });
});

Deno.test("Client retries 40, 41 and 43 from the one retries budget; 42 and 5x not at all", async () => {
  for (const status of [40, 41, 43, 42, 50, 51]) {
    const server = await startGeminiServer(({ conn }) => answer(conn, `${status} no\r\n`));
    try {
      const waits: number[] = [];
      const response = await client({
        retries: 1,
        maxWaitSeconds: 1,
        hooks: { onRetryWait: ({ attempt }) => void waits.push(attempt) },
      }).fetch(server.url("/"));
      assertEquals(response.status, status);
      assertEquals(response.meta, "no");
      const retried = status === 40 || status === 41 || status === 43;
      assertEquals(server.lines.length, retried ? 2 : 1, `status ${status}`);
      assertEquals(waits, retried ? [1] : []);
      assertEquals(response.retries?.stopped, retried ? "retries" : undefined);
    } finally {
      await server.close();
    }
  }
});

// ---------------------------------------------------------------------------------------
// headers

Deno.test("Client refuses malformed status lines: 2, 99, 2x, 20text, 200", async () => {
  for (
    const header of ["2\r\n", "99 x\r\n", "2x text/gemini\r\n", "20text/gemini\r\n", "200 ok\r\n"]
  ) {
    const server = await startGeminiServer(({ conn }) => answer(conn, header, "body\n"));
    try {
      const error = await assertRejects(() => client().fetch(server.url("/")), ClientError);
      assertEquals(error.code, "bad-header", JSON.stringify(header));
      assertStringIncludes(error.message, "Invalid response header");
    } finally {
      await server.close();
    }
  }
});

Deno.test("Client takes `20` with no space and no META as text/gemini", async () => {
  await withGeminiServer(({ conn }) => answer(conn, "20\r\n", "# hi\n"), async (server) => {
    const response = await client().fetch(server.url("/"));
    assertEquals(response.status, 20);
    assertEquals(response.meta, "");
    assertEquals(response.mediaType?.essence, "text/gemini");
    assertEquals(await response.text(), "# hi\n");
  });
});

Deno.test("Client acts on unknown codes by their class (14, 25, 37, 48, 57, 66)", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    const map: Record<string, string> = {
      "/14": "14 Say something",
      "/14?hello": "20 text/plain",
      "/25": "25 text/plain",
      "/37": "37 /landing",
      "/landing": "20 text/plain",
      "/48": "48 odd temporary",
      "/57": "57 odd permanent",
      "/66": "66 odd certificate",
    };
    return answer(conn, `${map[path] ?? "51 Not found"}\r\n`, `${path}\n`);
  }, async (server) => {
    const c = client({ maxWaitSeconds: 0 });
    const input = await c.fetch(server.url("/14"), { input: "hello" });
    assertEquals([input.status, await input.text()], [20, "/14?hello\n"]);
    const success = await c.fetch(server.url("/25"));
    assertEquals([success.status, await success.text()], [25, "/25\n"]);
    const redirect = await c.fetch(server.url("/37"));
    assertEquals([redirect.status, redirect.url.pathname], [20, "/landing"]);
    await redirect.bytes();
    // 48 is retried as a 40 would be: after 1 s, within one retry.
    const temporary = await client({ retries: 1, maxWaitSeconds: 1 }).fetch(server.url("/48"));
    assertEquals([temporary.status, temporary.meta], [48, "odd temporary"]);
    assertEquals(temporary.retries, { count: 1, waitedSeconds: 1, stopped: "retries" });
    assertEquals(server.lines.filter((l) => l.endsWith("/48")).length, 2);
    for (const code of [57, 66]) {
      const response = await c.fetch(server.url(`/${code}`));
      assertEquals(response.status, code);
      assertEquals(await response.bytes(), new Uint8Array());
    }
  });
});

Deno.test("Client stops reading a 2 MB header line at the header cap", async () => {
  await withGeminiServer(async ({ conn }) => {
    try {
      await conn.write("20 " + "x".repeat(2 * 1024 * 1024) + "\r\n");
      await conn.close();
    } catch {
      conn.destroy(); // the client hung up after the cap, as it should
    }
  }, async (server) => {
    const error = await assertRejects(() => client().fetch(server.url("/")), ClientError);
    assertEquals(error.code, "bad-header");
    assertStringIncludes(error.message, "1029 bytes");
  });
});

Deno.test("Client reports a connection closed before any header", async () => {
  await withGeminiServer(({ conn }) => conn.close(), async (server) => {
    const error = await assertRejects(() => client().fetch(server.url("/")), ClientError);
    assertEquals(error.code, "bad-header");
    assertStringIncludes(error.message, "without sending a response header");
  });
});

// ---------------------------------------------------------------------------------------
// bodies and limits

Deno.test("Client delivers a body that ends without close_notify, with a warning", async () => {
  await withGeminiServer(async ({ conn }) => {
    await conn.write("20 text/plain\r\npartial body\n");
    conn.destroy();
  }, async (server) => {
    const warnings: string[] = [];
    const response = await client({ hooks: { onWarning: (m: string) => void warnings.push(m) } })
      .fetch(server.url("/"));
    assertEquals(await response.text(), "partial body\n");
    assertEquals(response.closeNotify, false);
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0], "may be truncated");
  });
});

Deno.test("Client reports close_notify on a body that ended cleanly", async () => {
  await withGeminiServer(
    ({ conn }) => answer(conn, "20 text/plain\r\n", "all\n"),
    async (server) => {
      const response = await client().fetch(server.url("/"));
      assertEquals(response.closeNotify, undefined);
      assertEquals(await response.text(), "all\n");
      assertEquals(response.closeNotify, true);
      assertEquals(response.bodyBytes, 4);
    },
  );
});

Deno.test("Client stops an endless body at maxBodyBytes", async () => {
  await withGeminiServer(async ({ conn }) => {
    await conn.write("20 application/octet-stream\r\n");
    const chunk = new Uint8Array(16384).fill(65);
    try {
      for (let i = 0; i < 100_000; i++) await conn.write(chunk);
    } catch {
      // the client hung up
    }
    conn.destroy();
  }, async (server) => {
    const response = await client({ maxBodyBytes: 100_000 }).fetch(server.url("/"));
    const error = await assertRejects(() => response.bytes(), ClientError);
    assertEquals(error.code, "too-large");
    assertStringIncludes(error.message, "100000 bytes");
    assertEquals(response.bodyBytes, 100_000);
  });
});

Deno.test("Client holds timeouts and 44 waits past the timer limit (2^31 ms) instead of firing at once", async () => {
  let retryAnnounced: () => void = () => {};
  const announced = new Promise<void>((resolve) => retryAnnounced = resolve);
  await withGeminiServer(
    ({ line, conn }) =>
      pathOf(line) === "/slow"
        ? answer(conn, "44 99999999999\r\n")
        : answer(conn, "20 text/plain\r\n", "ok\n"),
    async (server) => {
      const huge = 1e12;
      const c = client({
        connectTimeoutMs: huge,
        headerTimeoutMs: huge,
        idleTimeoutMs: huge,
        maxWaitSeconds: huge,
        hooks: { onRetryWait: () => retryAnnounced() },
      });
      // An overflowing timer would fire after 1 ms and fail this fetch with a timeout.
      assertEquals(await (await c.fetch(server.url("/"))).text(), "ok\n");
      const aborter = new AbortController();
      const waiting = c.fetch(server.url("/slow"), { signal: aborter.signal });
      await announced;
      // An overflowing wait would retry after 1 ms; give it far longer than that.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assertEquals(server.lines.filter((l) => pathOf(l) === "/slow").length, 1);
      aborter.abort();
      assertEquals((await assertRejects(() => waiting, ClientError)).code, "aborted");
    },
  );
});

Deno.test("Client ignores whatever follows a non-2x header", async () => {
  await withGeminiServer(
    ({ conn }) => answer(conn, "51 Not here\r\n", "this is not a body\n"),
    async (server) => {
      const gone = await client().fetch(server.url("/gone"));
      assertEquals([gone.status, gone.meta, gone.mediaType], [51, "Not here", undefined]);
      assertEquals([(await gone.bytes()).length, gone.bodyBytes], [0, 0]);
    },
  );
});

Deno.test("Client takes a body of exactly maxBodyBytes and refuses one byte more", async () => {
  await withGeminiServer(
    ({ line, conn }) =>
      answer(
        conn,
        "20 application/octet-stream\r\n",
        new Uint8Array(Number(pathOf(line).slice(1))),
      ),
    async (server) => {
      const c = client({ maxBodyBytes: 1000 });
      assertEquals((await (await c.fetch(server.url("/1000"))).bytes()).length, 1000);
      const over = await c.fetch(server.url("/1001"));
      const error = await assertRejects(() => over.bytes(), ClientError);
      assertEquals(error.code, "too-large");
    },
  );
});

Deno.test("Client times out a server that never answers (header) or stalls (body)", async () => {
  const held: GeminiTestRequest[] = [];
  const server = await startGeminiServer(async (request) => {
    held.push(request);
    if (pathOf(request.line) === "/stall") await request.conn.write("20 text/plain\r\nbegin");
  });
  try {
    const header = await assertRejects(
      () => client({ headerTimeoutMs: 50 }).fetch(server.url("/silent")),
      ClientError,
    );
    assertEquals(header.code, "timeout");
    assertStringIncludes(header.message, "50 ms");
    const response = await client({ idleTimeoutMs: 50 }).fetch(server.url("/stall"));
    const idle = await assertRejects(() => response.bytes(), ClientError);
    assertEquals(idle.code, "timeout");
    assertStringIncludes(idle.message, "idle timeout");
  } finally {
    for (const r of held) r.conn.destroy();
    await server.close();
  }
});

Deno.test("Client can be aborted while waiting for the header", async () => {
  const held: GeminiTestRequest[] = [];
  const server = await startGeminiServer((request) => void held.push(request));
  try {
    const controller = new AbortController();
    const pending = client().fetch(server.url("/"), { signal: controller.signal });
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await assertRejects(() => pending, ClientError);
    assertEquals(error.code, "aborted");
  } finally {
    for (const r of held) r.conn.destroy();
    await server.close();
  }
});

Deno.test("Client reports a refused connection as a network error", async () => {
  const server = await startGeminiServer(({ conn }) => conn.close());
  const port = server.port;
  await server.close();
  const error = await assertRejects(
    () => client().fetch(`gemini://127.0.0.1:${port}/`),
    ClientError,
  );
  assertEquals(error.code, "network");
  assertStringIncludes(error.message, `127.0.0.1:${port}`);
});

Deno.test("Client rejects URLs it cannot send", async () => {
  const c = client();
  assertEquals((await assertRejects(() => c.fetch("not a url"), ClientError)).code, "bad-url");
  assertEquals(
    (await assertRejects(() => c.fetch(`gemini://h/${"a".repeat(1100)}`), ClientError)).code,
    "bad-url",
  );
  assertEquals(
    (await assertRejects(() => c.fetch("spartan://example.org/"), ClientError)).code,
    "unsupported-scheme",
  );
});

Deno.test("Client sends a 1024-byte URL and refuses 1025 bytes, userinfo and control characters unsent", async () => {
  await withGeminiServer(
    ({ conn }) => answer(conn, "20 text/plain\r\n", "ok\n"),
    async (server) => {
      const c = client();
      const base = server.url("/");
      const exact = base + "a".repeat(1024 - base.length);
      const ok = await c.fetch(exact);
      assertEquals([ok.status, await ok.text()], [20, "ok\n"]);
      assertEquals(server.lines, [exact]);
      const refused = [
        exact + "b",
        server.url("/").replace("//", "//user:pw@"),
        server.url("/a\nb"),
        server.url("/a\r\nb"),
        server.url("/a\tb"),
        server.url("/a\0b"),
        server.url("/a\x7fb"),
      ];
      for (const url of refused) {
        const error = await assertRejects(() => c.fetch(url), ClientError);
        assertEquals(error.code, "bad-url", url);
      }
      const lf = await assertRejects(() => c.fetch(server.url("/a\nb")), ClientError);
      assertStringIncludes(lf.message, "control character U+000A at character");
      assertEquals(server.lines, [exact]);
      assertEquals(server.handshakes, 1);
      // A fragment is never sent; the rest of the URL is.
      const fragment = await c.fetch(server.url("/page#part"));
      await fragment.bytes();
      assertEquals(server.lines.at(-1), server.url("/page"));
    },
  );
});

Deno.test("Client takes a 1029-byte header, refuses 1030; bare LF ends a header; NUL and CR in META are refused", async () => {
  const meta1024 = "text/plain; x=" + "a".repeat(1024 - 14);
  await withGeminiServer(({ line, conn }) => {
    const headers: Record<string, string> = {
      "/1029": `20 ${meta1024}\r\n`,
      "/1030": `20 ${meta1024}a\r\n`,
      "/lf": "20 text/plain\n",
      "/nul": "20 text/pl\0ain\r\n",
      "/cr": "20 text/plain\r\r\n",
      "/redirect-userinfo": "30 gemini://user:pw@localhost/\r\n",
    };
    return answer(conn, headers[pathOf(line)] ?? "51 Not found\r\n", "body\n");
  }, async (server) => {
    const c = client();
    const exact = await c.fetch(server.url("/1029"));
    assertEquals([exact.status, exact.meta.length], [20, 1024]);
    assertEquals(await exact.text(), "body\n");
    const bare = await c.fetch(server.url("/lf"));
    assertEquals([bare.status, bare.meta, await bare.text()], [20, "text/plain", "body\n"]);
    for (const path of ["/1030", "/nul", "/cr"]) {
      const error = await assertRejects(() => c.fetch(server.url(path)), ClientError);
      assertEquals(error.code, "bad-header", path);
    }
    const over = await assertRejects(() => c.fetch(server.url("/1030")), ClientError);
    assertStringIncludes(over.message, "1029 bytes");
    const nul = await assertRejects(() => c.fetch(server.url("/nul")), ClientError);
    assertStringIncludes(nul.message, "U+0000");
    const userinfo = await assertRejects(
      () => c.fetch(server.url("/redirect-userinfo")),
      ClientError,
    );
    assertEquals(userinfo.code, "bad-header");
    assertStringIncludes(userinfo.message, "userinfo");
  });
});

// ---------------------------------------------------------------------------------------
// charsets

Deno.test("Client decodes iso-8859-1 and shift_jis text by the META charset", async () => {
  const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n"
  const sjis = new Uint8Array([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x0a]); // "日本語\n"
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/latin1") return answer(conn, "20 text/plain; charset=ISO-8859-1\r\n", latin1);
    if (path === "/sjis") return answer(conn, "20 text/gemini; charset=shift_jis\r\n", sjis);
    if (path === "/utf8") return answer(conn, "20 text/plain\r\n", "café\n");
    return answer(conn, "20 text/plain; charset=x-klingon\r\n", "qapla'\n");
  }, async (server) => {
    const c = client();
    assertEquals(await (await c.fetch(server.url("/latin1"))).text(), "café\n");
    const japanese = await c.fetch(server.url("/sjis"));
    assertEquals(japanese.mediaType?.charset, "shift_jis");
    assertEquals(await japanese.text(), "日本語\n");
    assertEquals(await (await c.fetch(server.url("/utf8"))).text(), "café\n");
    const unknown = await c.fetch(server.url("/klingon"));
    const error = await assertRejects(() => unknown.text(), ClientError);
    assertEquals(error.code, "charset");
    assertStringIncludes(error.message, "x-klingon");
    assertStringIncludes(error.message, `in the media type of ${server.url("/klingon")}`);
    assertEquals(error.message.includes("--"), false, error.message);
    const raw = await c.fetch(server.url("/klingon"));
    assertEquals(new TextDecoder().decode(await raw.bytes()), "qapla'\n");
  });
});

// ---------------------------------------------------------------------------------------
// input

Deno.test("Client answers 10 with the input option, %20-encoded, replacing the query", async () => {
  await withGeminiServer(({ line, conn }) => {
    const url = new URL(line);
    if (url.search === "" || url.search === "?old") return answer(conn, "10 Your name?\r\n");
    return answer(conn, "20 text/plain\r\n", `got ${url.search}\n`);
  }, async (server) => {
    const response = await client().fetch(server.url("/ask?old"), { input: "a b+c&d" });
    assertEquals(await response.text(), "got ?a%20b%2Bc%26d\n");
    assertEquals(response.url.href, server.url("/ask?a%20b%2Bc%26d"));
    const unanswered = await client().fetch(server.url("/ask"));
    assertEquals([unanswered.status, unanswered.meta], [10, "Your name?"]);
  });
});

Deno.test("Client asks the onInput hook for 11 with sensitive set", async () => {
  await withGeminiServer(({ line, conn }) => {
    const url = new URL(line);
    if (url.search === "") return answer(conn, "11 Password\r\n");
    return answer(conn, "20 text/plain\r\n", `ok ${url.search}\n`);
  }, async (server) => {
    const asked: { prompt: string; sensitive: boolean }[] = [];
    const response = await client({
      hooks: {
        onInput: ({ prompt, sensitive }) => {
          asked.push({ prompt, sensitive });
          return Promise.resolve("s3cret");
        },
      },
    }).fetch(server.url("/login"));
    assertEquals(await response.text(), "ok ?s3cret\n");
    assertEquals(asked, [{ prompt: "Password", sensitive: true }]);
    const declined = await client({ hooks: { onInput: () => Promise.resolve(null) } })
      .fetch(server.url("/login"));
    assertEquals(declined.status, 11);
  });
});

Deno.test("Client gives up on a server that asks for input forever", async () => {
  await withGeminiServer(({ conn }) => answer(conn, "10 again\r\n"), async (server) => {
    let asked = 0;
    const response = await client({
      hooks: { onInput: () => Promise.resolve(`try${++asked}`) },
    }).fetch(server.url("/"));
    assertEquals(response.status, 10);
    assertEquals(asked, 5);
  });
});

Deno.test("Client times out a connection whose TLS handshake never completes", async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const error = await assertRejects(
      () => client({ connectTimeoutMs: 100 }).fetch(`gemini://127.0.0.1:${port}/`),
      ClientError,
    );
    assertEquals(error.code, "timeout");
    assertStringIncludes(error.message, "100 ms");
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
