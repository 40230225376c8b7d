/**
 * Worker recycling in `gemini serve` (issue 11): past a threshold a worker is replaced by a
 * fresh one on the same port; the old one stops accepting, finishes every request it
 * accepted (also connections still to send their request line, which get their answer,
 * not 41), and is terminated. Each recycle is logged with its reason. With --workers 1 and
 * on both TLS backends.
 */

import net from "node:net";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { waitForValue } from "../_helpers/wait.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { dial } from "../../lib/tls/dial.ts";
import { recycleReason } from "../../lib/cli/serve_supervisor.ts";
import { fetchUrl } from "../server/_harness.ts";
import { captureClientHello } from "../../bench/soak/hello.ts";
import { type ServeIo, whileServing } from "./_serve.ts";

/** Waits (at most 20 s) until `pattern` is in the server's error log. */
async function logged(io: ServeIo, pattern: RegExp): Promise<RegExpExecArray> {
  return await waitForValue(() => pattern.exec(io.stderr.text()) ?? undefined, `${pattern}`, {
    timeoutMs: 20_000,
    intervalMs: 25,
  }).catch(() => {
    throw new Error(`did not see ${pattern} in:\n${io.stderr.text()}`);
  });
}

/** `n` connections that send a ClientHello and leave before the handshake ends. */
async function leaveBeforeHandshake(port: number, n: number): Promise<void> {
  const hello = await captureClientHello("localhost");
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.resume();
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("connect", () => socket.end(hello));
    await closed;
  }
}

async function withCapsule(
  backend: "node" | "deno",
  body: (port: number, io: ServeIo) => Promise<void>,
  settings: { global?: string[]; limits?: string[] } = {},
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "gemini-recycle-" });
  try {
    await Deno.mkdir(join(home, "capsule"));
    await Deno.writeTextFile(join(home, "capsule", "index.gmi"), "# Recycled\n");
    const file = join(home, "serve.toml");
    await Deno.writeTextFile(
      file,
      [
        `listen = ["127.0.0.1:0"]`,
        `backend = "${backend}"`,
        ...settings.global ?? [],
        "[limits]",
        "rate = false",
        ...settings.limits ?? [],
        "[recycle]",
        "handshake_failures = 20",
        "min_interval = 0",
        "[[host]]",
        'name = "localhost"',
        `root = "${join(home, "capsule")}"`,
        "",
      ].join("\n"),
    );
    const io = memoryIo({ env: { GEMINI_HOME: home } });
    await whileServing(["--config", file, "--workers", "1"], io, (port) => body(port, io));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

for (const backend of ["node", "deno"] as const) {
  Deno.test(`gemini serve --workers 1 (${backend}): a worker past handshake_failures is recycled without failing a request in flight`, async () => {
    await withCapsule(backend, async (port, io) => {
      const url = `gemini://localhost:${port}/`;
      assertEquals((await fetchUrl(port, url)).status, 20);
      // Accepted before the recycle, their request lines sent after it began.
      const waiting = await Promise.all([1, 2].map(() => dial("127.0.0.1", { port })));
      await leaveBeforeHandshake(port, 25);
      const started = await logged(io, /recycling worker worker=1 reason=handshake_failures/);
      assert(started);
      for (const conn of waiting) await conn.write(`${url}\r\n`);
      const answers = await Promise.all(waiting.map(async (conn) => {
        const chunk = await conn.read();
        conn.destroy();
        return new TextDecoder().decode(chunk ?? new Uint8Array()).split("\r\n")[0];
      }));
      assertEquals(answers, ["20 text/gemini", "20 text/gemini"]);
      const done = await logged(
        io,
        /worker recycled worker=1 replacement=2 reason=handshake_failures took_ms=\d+/,
      );
      assertMatch(done[0], /took_ms=\d+/);
      // The replacement serves on the same port.
      const after = await fetchUrl(port, url);
      assertEquals([after.status, after.text], [20, "# Recycled\n"]);
    });
  });
}

for (const backend of ["node", "deno"] as const) {
  Deno.test(`gemini serve (${backend}): connections a recycled worker still held give their places in max_connections back`, async () => {
    await withCapsule(backend, async (port, io) => {
      const url = `gemini://localhost:${port}/`;
      // Idle clients that never send a byte: the deno backend cannot close them, so they are
      // still open in the old worker when it is terminated.
      const idle = await Promise.all([1, 2, 3, 4].map(() => Deno.connect({ port })));
      try {
        await leaveBeforeHandshake(port, 25);
        await logged(io, /worker recycled worker=1 replacement=2 reason=handshake_failures/);
        // max_connections = 6: all six places are free again once the old worker is gone.
        await waitForValue(
          async () => {
            const held = await Promise.all(
              [1, 2, 3, 4, 5, 6].map(() => dial("127.0.0.1", { port }).catch(() => undefined)),
            );
            const answers = await Promise.all(held.map(async (conn) => {
              if (!conn) return "refused";
              await conn.write(`${url}\r\n`);
              const chunk = await conn.read().catch(() => null);
              conn.destroy();
              return new TextDecoder().decode(chunk ?? new Uint8Array()).split("\r\n")[0];
            }));
            return answers.every((a) => a === "20 text/gemini") ? answers : undefined;
          },
          "six concurrent connections served after the recycle",
          { timeoutMs: 15_000 },
        );
      } finally {
        for (const conn of idle) conn.close();
      }
    }, {
      global: ["response_timeout = 1"],
      limits: ["max_connections = 6", "max_connections_per_ip = 6", "connection_rate = false"],
    });
  });
}

Deno.test("recycleReason() at the thresholds and min_interval", () => {
  const policy = { handshakeFailures: 10, heap: 1000, age: 60, minInterval: 5 };
  const stats = { startedAt: 0, heapUsed: 0, handshakeFailures: 0 };
  assertEquals(recycleReason({ ...stats, handshakeFailures: 9 }, policy, 6000), undefined);
  assertEquals(
    recycleReason({ ...stats, handshakeFailures: 10 }, policy, 6000),
    "handshake_failures",
  );
  assertEquals(recycleReason({ ...stats, handshakeFailures: 10 }, policy, 4999), undefined);
  assertEquals(recycleReason({ ...stats, heapUsed: 999 }, policy, 6000), undefined);
  assertEquals(recycleReason({ ...stats, heapUsed: 1000 }, policy, 6000), "heap");
  assertEquals(recycleReason(stats, policy, 59_999), undefined);
  assertEquals(recycleReason(stats, policy, 60_000), "age");
  const off = { handshakeFailures: 0, heap: 0, age: 0, minInterval: 0 };
  assertEquals(
    recycleReason({ ...stats, handshakeFailures: 1e9, heapUsed: 1e12 }, off, 1e12),
    undefined,
  );
});
