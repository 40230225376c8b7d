import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { waitFor } from "../_helpers/wait.ts";
import type { ServeOptions } from "../../lib/server/server.ts";
import { createLogger } from "../../lib/server/logger.ts";
import { AccessLog } from "../../lib/server/access_log.ts";
import { dial } from "../../lib/tls/dial.ts";
import type { GeminiRequest } from "../../lib/server/types.ts";
import { fetchUrl, PIPELINE_TEST, rawRequest, startServer, type TestServer } from "./_harness.ts";

/** The server with a handler that echoes the URL and path, and its logs. */
async function echoServer(
  extra: Partial<ServeOptions> = {},
): Promise<TestServer & { errors: string[]; access: string[]; seen: GeminiRequest[] }> {
  const errors: string[] = [];
  const access: string[] = [];
  const seen: GeminiRequest[] = [];
  const server = await startServer((request) => {
    seen.push(request);
    if (request.path === "/throw") throw new Error("boom");
    return { status: 20, meta: "text/plain", body: `${request.url.href}|${request.path}` };
  }, {
    ...PIPELINE_TEST,
    hosts: ["localhost", "127.0.0.1"],
    logger: createLogger({ write: (l) => void errors.push(l) }),
    accessLog: new AccessLog({ write: (l) => void access.push(l) }),
    ...extra,
  });
  return { ...server, errors, access, seen };
}

const URL_PREFIX = "gemini://localhost/";

/**
 * The server writes a connection's access-log line once the connection has closed on its
 * side, which may be after the client has read the whole response: wait for it (bounded).
 */
function eventually(check: () => boolean): Promise<void> {
  return waitFor(check, "the server to catch up");
}

function urlOfLength(n: number): string {
  return URL_PREFIX + "a".repeat(n - URL_PREFIX.length);
}

Deno.test("serve() answers a plain request with the handler's reply and close_notify", async () => {
  const s = await echoServer();
  try {
    const r = await fetchUrl(s.port, "gemini://localhost/hello");
    assertEquals(r.header, "20 text/plain");
    assertEquals(r.text, "gemini://localhost/hello|/hello");
    assertEquals(r.closeNotify, true);
  } finally {
    await s.close();
  }
});

Deno.test("serve() accepts a 1024-byte URL and refuses a 1025-byte one with 59", async () => {
  const s = await echoServer();
  try {
    const ok = await fetchUrl(s.port, urlOfLength(1024));
    assertEquals(ok.status, 20);
    const long = await fetchUrl(s.port, urlOfLength(1025));
    assertEquals(long.status, 59);
    assertEquals(long.closeNotify, true);
    // 1027 bytes without any CRLF: refused at once, not at the deadline.
    const flood = await rawRequest(s.port, "x".repeat(1027));
    assertEquals(flood.status, 59);
  } finally {
    await s.close();
  }
});

Deno.test("serve() refuses malformed request lines with 59 and foreign targets with 53", async () => {
  const s = await echoServer();
  try {
    const cases: [string, string | Uint8Array, number][] = [
      ["LF only", "gemini://localhost/\n", 59],
      ["bare CR", "gemini://localhost/\rx\r\n", 59],
      ["BOM", "\uFEFFgemini://localhost/\r\n", 59],
      ["userinfo", "gemini://user@localhost/\r\n", 59],
      ["fragment", "gemini://localhost/a#b\r\n", 59],
      ["relative", "/index.gmi\r\n", 59],
      ["empty line", "\r\n", 59],
      [
        "invalid UTF-8",
        new Uint8Array([...new TextEncoder().encode("gemini://localhost/"), 0xc0, 0x80, 13, 10]),
        59,
      ],
      ["NUL", "gemini://localhost/%00\r\n", 59],
      ["malformed escape", "gemini://localhost/%zz\r\n", 59],
      ["foreign host", "gemini://example.org/\r\n", 53],
      ["foreign port", "gemini://localhost:1966/\r\n", 53],
      ["other scheme https", "https://localhost/\r\n", 53],
      ["other scheme gopher", "gopher://localhost/\r\n", 53],
      ["other scheme titan", "titan://localhost/x;size=1\r\n", 53],
    ];
    for (const [name, request, status] of cases) {
      const r = await rawRequest(s.port, request);
      assertEquals(r.status, status, `${name}: ${r.header}`);
      assertEquals(r.closeNotify, true, name);
    }
    assertEquals(s.seen.length, 0, "the handler saw none of them");
  } finally {
    await s.close();
  }
});

Deno.test("serve() treats an empty path as / and matches the port it listens on", async () => {
  const s = await echoServer({ publicPort: undefined });
  try {
    const r = await fetchUrl(s.port, `gemini://LOCALHOST:${s.port}`);
    assertEquals(r.status, 20);
    assertEquals(r.text, `gemini://localhost:${s.port}/|/`);
    const decoded = await fetchUrl(s.port, `gemini://localhost:${s.port}/caf%C3%A9.gmi`);
    assertEquals(decoded.text.split("|")[1], "/café.gmi");
  } finally {
    await s.close();
  }
});

Deno.test("serve() answers 59 when no CRLF arrives before the request deadline", async () => {
  const s = await echoServer({ requestTimeoutMs: 300 });
  try {
    const r = await rawRequest(s.port, "gemini://localhost/");
    assertEquals(r.header, "59 Request timeout");
    assertEquals(r.closeNotify, true);
  } finally {
    await s.close();
  }
});

Deno.test("serve() turns a throwing handler into 40 with a logged request id and keeps serving", async () => {
  const s = await echoServer();
  try {
    const r = await fetchUrl(s.port, "gemini://localhost/throw");
    assertEquals(r.status, 40);
    const id = /request ([0-9a-f]{8})/.exec(r.meta)?.[1];
    assert(id, r.meta);
    const line = s.errors.find((l) => l.includes("handler failed"));
    assert(line, s.errors.join(""));
    assertStringIncludes(line, `id=${id}`);
    assertStringIncludes(line, "boom");
    const after = await fetchUrl(s.port, "gemini://localhost/ok");
    assertEquals(after.status, 20);
  } finally {
    await s.close();
  }
});

Deno.test("serve() answers 40 for a reply with an invalid header", async () => {
  const server = await startServer(() => ({ status: 20, meta: "text/plain\r\n20 evil" }), {
    publicPort: 1965,
  });
  try {
    const r = await fetchUrl(server.port, "gemini://localhost/");
    assertEquals(r.status, 40);
  } finally {
    await server.close();
  }
});

Deno.test("serve() sends no body with non-2x replies and streams iterable bodies", async () => {
  const server = await startServer(
    (r) =>
      r.path === "/gone" ? { status: 52, meta: "Gone", body: "secret" } : {
        status: 20,
        meta: "application/octet-stream",
        body: (async function* (): AsyncGenerator<Uint8Array> {
          for (let i = 0; i < 3; i++) yield new Uint8Array([i]);
        })(),
      },
    { publicPort: 1965 },
  );
  try {
    const gone = await fetchUrl(server.port, "gemini://localhost/gone");
    assertEquals([gone.header, gone.body.length], ["52 Gone", 0]);
    const bytes = await fetchUrl(server.port, "gemini://localhost/x");
    assertEquals([...bytes.body], [0, 1, 2]);
  } finally {
    await server.close();
  }
});

Deno.test("serve() logs the host and path of a request refused with 44", async () => {
  const s = await echoServer({ limits: { rate: { burst: 1, perSecond: 0.001 } } });
  try {
    assertEquals((await fetchUrl(s.port, "gemini://localhost/first")).status, 20);
    const refused = await fetchUrl(s.port, "gemini://localhost/caf%C3%A9");
    assertEquals(refused.status, 44);
    await eventually(() => s.access.length >= 2);
    assertEquals(s.access.length, 2, s.access.join(""));
    assertStringIncludes(s.access[1], ' 127.0.0.1 localhost "/café" 44 0 ');
  } finally {
    await s.close();
  }
});

Deno.test("serve() writes one access-log line per request", async () => {
  const s = await echoServer();
  try {
    await fetchUrl(s.port, "gemini://localhost/logged");
    await fetchUrl(s.port, "gemini://example.org/");
    await eventually(() => s.access.length >= 2);
    assertEquals(s.access.length, 2, s.access.join(""));
    assertStringIncludes(s.access[0], ' 127.0.0.1 localhost "/logged" 20 ');
    assertStringIncludes(s.access[1], ' 127.0.0.1 example.org "/" 53 0 ');
  } finally {
    await s.close();
  }
});

Deno.test("serve() ignores bytes after the CRLF", async () => {
  const s = await echoServer();
  try {
    const r = await rawRequest(s.port, "gemini://localhost/a\r\ngemini://localhost/b\r\n");
    assertEquals(r.text, "gemini://localhost/a|/a");
    assertEquals(s.seen.length, 1);
  } finally {
    await s.close();
  }
});

Deno.test("serve() passes the client certificate to the handler with the node backend", async () => {
  const s = await echoServer({ requestClientCertificate: true });
  try {
    const { generateCertificate } = await import("../../lib/tls/certificate.ts");
    const id = await generateCertificate("alice");
    await fetchUrl(s.port, "gemini://localhost/", { identity: { cert: id.cert, key: id.key } });
    assertEquals(s.seen[0].clientCertificate?.certSha256, id.info.certSha256);
    await eventually(() => s.access.length >= 1);
    assertStringIncludes(s.access[0], id.info.certSha256);
  } finally {
    await s.close();
  }
});

Deno.test("RunningServer.shutdown() answers a connection still waiting for its request with 41", async () => {
  const { server, port } = await startServer(
    () => ({ status: 20, meta: "text/plain", body: "x" }),
    { publicPort: 1965 },
  );
  const conn = await dial("127.0.0.1", { port });
  // The handshake is done on the client's side; wait until the server has taken the
  // connection in, or shutdown() could close the listener with it still queued.
  await eventually(() => server.openConnections === 1);
  assertEquals(server.openConnections, 1);
  const stopped = server.shutdown(2000);
  const chunk = await conn.read();
  assertEquals(new TextDecoder().decode(chunk!), "41 Server is shutting down\r\n");
  conn.destroy();
  await stopped;
});

Deno.test("serve() gives a URL naming the server's own IP address to the default host", async () => {
  const server = await startServer((r) => ({ status: 20, meta: "text/plain", body: r.host }), {
    hosts: ["localhost"],
    publicPort: 1965,
  });
  try {
    const port = server.port;
    assertEquals((await fetchUrl(port, "gemini://127.0.0.1/")).text, "localhost");
    assertEquals((await fetchUrl(port, "gemini://10.1.2.3/")).status, 53);
    assertEquals((await fetchUrl(port, "gemini://127.0.0.1:1966/")).status, 53);
  } finally {
    await server.close();
  }
});

Deno.test("serve() answers 40 when the handler misses the response deadline", async () => {
  const errors: string[] = [];
  const server = await startServer(() => new Promise(() => {}), {
    publicPort: 1965,
    responseTimeoutMs: 200,
    logger: createLogger({ write: (l) => void errors.push(l) }),
  });
  try {
    const r = await fetchUrl(server.port, "gemini://localhost/");
    assertEquals(r.status, 40);
    assert(errors.some((l) => l.includes("handler timed out")));
  } finally {
    await server.close();
  }
});

Deno.test("serve() ends a response whose body fails without close_notify", async () => {
  const server = await startServer(() => ({
    status: 20,
    meta: "text/plain",
    body: new ReadableStream<Uint8Array>({
      pull(controller): void {
        controller.enqueue(new TextEncoder().encode("partial"));
        controller.error(new Error("disk gone"));
      },
    }),
  }), {
    publicPort: 1965,
  });
  try {
    const r = await fetchUrl(server.port, "gemini://localhost/");
    assertEquals(r.header, "20 text/plain");
    assertEquals(r.closeNotify, false);
  } finally {
    await server.close();
  }
});
