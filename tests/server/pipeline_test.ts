/**
 * The request pipeline (serveConnection) on the in-memory connection: the tables of 59, 53,
 * 44 and 41 answers at their exact limits, the canonical path handlers see, reading stopped
 * after the request line, and Titan bytes that arrive with the request line.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { serveConnection, type ServeConnectionOptions } from "../../lib/server/connection.ts";
import { memoryConnection } from "../../lib/server/memory_connection.ts";
import type { GeminiRequest } from "../../lib/server/types.ts";
import { Limits } from "../../lib/server/limits.ts";

const seen: GeminiRequest[] = [];

function options(extra: Partial<ServeConnectionOptions> = {}): ServeConnectionOptions {
  return {
    handler: (request) => {
      seen.push(request);
      return { status: 20, meta: "text/plain", body: request.path };
    },
    hosts: ["localhost"],
    port: 1965,
    requestTimeoutMs: 200,
    ...extra,
  };
}

async function answer(
  input: string | (string | Uint8Array)[],
  extra: Partial<ServeConnectionOptions> = {},
  keepOpen = false,
): Promise<string> {
  const conn = memoryConnection(input, { keepOpen });
  await serveConnection(conn, options(extra));
  return conn.text();
}

const PREFIX = "gemini://localhost/";
const urlOf = (bytes: number): string => PREFIX + "a".repeat(bytes - PREFIX.length);

Deno.test("serveConnection() answers 59 at the framing limits (1024 vs 1025 bytes, bare LF, NUL, CR)", async () => {
  const table: [string | string[], string][] = [
    [urlOf(1024) + "\r\n", "20"],
    [urlOf(1025) + "\r\n", "59"],
    [[urlOf(1024), "\r", "\n"], "20"],
    [PREFIX + "\n", "59"],
    [PREFIX + "a\0b\r\n", "59"],
    [PREFIX + "\rx\r\n", "59"],
    ["\r\n", "59"],
    ["gemini://user@localhost/\r\n", "59"],
    [PREFIX + "#frag\r\n", "59"],
    ["/relative\r\n", "59"],
    [PREFIX + "%zz\r\n", "59"],
    [PREFIX + "a%2Fb\r\n", "59"],
    [PREFIX + "a%5Cb\r\n", "59"],
    [PREFIX + "..%2F..%2Fetc\r\n", "59"],
  ];
  for (const [input, status] of table) {
    const out = await answer(input);
    assertEquals(out.slice(0, 2), status, `${JSON.stringify(input).slice(0, 60)}: ${out}`);
  }
});

Deno.test("serveConnection() answers 53 for other hosts, ports and schemes", async () => {
  for (
    const url of [
      "gemini://elsewhere.example/",
      "gemini://localhost:1966/",
      "https://localhost/",
      "titan://localhost/x;size=1",
    ]
  ) {
    assertEquals((await answer(url + "\r\n")).slice(0, 3), "53 ", url);
  }
});

Deno.test("serveConnection() answers 59 to a line that never ends in time and 41 when draining", async () => {
  assertEquals(await answer(["gemini://localhost/"], {}, true), "59 Request timeout\r\n");
  const drain = new AbortController();
  const conn = memoryConnection(["gemini://loc"], { keepOpen: true });
  const served = serveConnection(
    conn,
    options({ drainSignal: drain.signal, requestTimeoutMs: 5000 }),
  );
  drain.abort(new Error("stop"));
  await served;
  assertEquals(conn.text(), "41 Server is shutting down\r\n");
});

Deno.test("serveConnection() answers 44 with the wait once the request rate is spent, before parsing", async () => {
  const limits = new Limits({ rate: { burst: 2, perSecond: 0.5 }, ban: false });
  const statuses: string[] = [];
  for (let i = 0; i < 4; i++) {
    statuses.push(await answer(PREFIX + "%zz\r\n", { limits }));
  }
  assertEquals(statuses, [
    "59 Request URL has a malformed percent-escape at character 19\r\n",
    statuses[0],
    "44 2\r\n",
    "44 2\r\n",
  ]);
});

Deno.test("serveConnection() hands handlers the canonical path: decoded once, empty and dot segments gone", async () => {
  const table: [string, string][] = [
    ["//members/s.gmi", "/members/s.gmi"],
    ["/a//b///c/", "/a/b/c/"],
    ["/%6Dembers/./x", "/members/x"],
    ["/a/b/../c", "/a/c"],
    ["/caf%C3%A9/", "/café/"],
    ["/%2541", "/%41"],
    ["", "/"],
  ];
  for (const [path, canonical] of table) {
    const out = await answer(`gemini://localhost${path}\r\n`);
    assertEquals(out, `20 text/plain\r\n${canonical}`, path);
  }
});

Deno.test("serveConnection() stops reading after a Gemini request line", async () => {
  const conn = memoryConnection([PREFIX + "\r\nextra", "more bytes", "and more"], {
    keepOpen: true,
  });
  await serveConnection(conn, options());
  assert(conn.readingStopped);
  assertEquals(conn.bytesRead, (PREFIX + "\r\nextra").length);
  assertEquals(conn.ending, "close");
});

Deno.test("serveConnection() keeps the Titan body bytes that arrive with the request line", async () => {
  const body = "x".repeat(20 * 1024);
  let received = "";
  const conn = memoryConnection(`titan://localhost/up.txt;size=${body.length}\r\n${body}`);
  await serveConnection(
    conn,
    options({
      schemes: ["gemini", "titan"],
      handler: async (request) => {
        received = await new Response(request.body).text();
        return { status: 30, meta: "gemini://localhost/up.txt" };
      },
    }),
  );
  assertEquals(received.length, body.length);
  assertEquals(conn.text(), "30 gemini://localhost/up.txt\r\n");
});

Deno.test("serveConnection() turns a throwing handler into 40 with the request id, and a cut body into no close_notify", async () => {
  const conn = memoryConnection(PREFIX + "\r\n");
  await serveConnection(
    conn,
    options({
      requestId: "abc",
      handler: () => {
        throw new Error("boom");
      },
    }),
  );
  assertEquals(conn.text(), "40 Temporary failure (request abc)\r\n");
  const cut = memoryConnection(PREFIX + "\r\n");
  await serveConnection(
    cut,
    options({
      handler: () => ({
        status: 20,
        meta: "text/plain",
        body: (async function* (): AsyncGenerator<Uint8Array> {
          yield new TextEncoder().encode("part");
          throw new Error("program died");
        })(),
      }),
    }),
  );
  assertEquals([cut.text(), cut.ending], ["20 text/plain\r\npart", "destroy"]);
});

Deno.test("serveConnection() reports a failed handshake and answers nothing", async () => {
  let failures = 0;
  const conn = memoryConnection(PREFIX + "\r\n", { handshake: "fail" });
  const entry = await serveConnection(conn, options({ onHandshakeFailure: () => failures++ }));
  assertEquals([failures, conn.text(), conn.ending, entry.status], [1, "", "destroy", 0]);
  const hung = memoryConnection(PREFIX + "\r\n", { handshake: "hang" });
  await serveConnection(hung, options({ onHandshakeFailure: () => failures++ }));
  assertEquals([failures, hung.ending], [2, "destroy"]);
});
