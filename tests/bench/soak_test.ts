/**
 * The soak benchmark's parts do what its report claims: the fuzzer's lines sit at the exact
 * limits it names and repeat per seed, the ClientHellos are what they say (a real hello
 * that servers answer, a TLS 1.1-only hello that a TLS 1.1 server accepts and ours refuse),
 * source addresses really come from the pools, the probe tells a served page from a failure,
 * floods stop at their bounds, and rows are held to the targets at their exact limits.
 * Real sockets on 127.0.0.0/8 only. (The soak itself is `make soak`, not a test.)
 */

import net from "node:net";
import { assert, assertEquals, assertMatch, assertThrows } from "../_helpers/assert.ts";
import { peerPort } from "../_helpers/ports.ts";
import { localhostCertificate, startTestServer } from "../_helpers/tls_server.ts";
import { listen, type ListenerBackend } from "../../lib/tls/listen.ts";
import { attackNamed, ATTACKS, flood, scaledCount, scaledMs } from "../../bench/soak/attacks.ts";
import { RequestFuzzer, seededRandom } from "../../bench/soak/fuzz.ts";
import {
  captureClientHello,
  RECORD_TYPE,
  recordLength,
  tls11ClientHello,
} from "../../bench/soak/hello.ts";
import { fetchPage, Probe } from "../../bench/soak/probe.ts";
import { missedTargets, type SoakRow, soakTable, verdict } from "../../bench/soak/report.ts";
import { configFile } from "../../bench/soak/server.ts";
import { soakSettings } from "../../bench/soak/settings.ts";
import { AddressPool, connectFrom, type Target } from "../../bench/soak/sockets.ts";

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------
// fuzz.ts

Deno.test("RequestFuzzer: the same seed gives the same lines, another seed other lines", () => {
  const take = (seed: number): string[] => {
    const f = new RequestFuzzer(seed, "localhost", 1965);
    return Array.from({ length: 200 }, () => [...f.next().bytes].join(","));
  };
  assertEquals(take(7), take(7));
  assert(take(7).join("|") !== take(8).join("|"));
});

Deno.test("RequestFuzzer: urlOfLength() is exact at 1024, 1025 and 1026 bytes", () => {
  const f = new RequestFuzzer(1, "localhost", 1965);
  for (const n of [1024, 1025, 1026, 1027]) {
    const url = f.urlOfLength(n);
    assertEquals(encoder.encode(url).length, n);
    assert(url.startsWith("gemini://localhost:1965/"));
  }
  assertThrows(() => f.urlOfLength(10), RangeError);
});

Deno.test("RequestFuzzer: every kind appears; limit cases have their exact lengths and ends", () => {
  const f = new RequestFuzzer(1965, "localhost", 1965);
  const kinds = new Map<string, Uint8Array[]>();
  for (let i = 0; i < 5_000; i++) {
    const c = f.next();
    kinds.set(c.kind, [...(kinds.get(c.kind) ?? []), c.bytes]);
    const lf = c.bytes.lastIndexOf(10);
    // Half-closed exactly when nothing in the line ends it.
    if (c.halfClose) assertEquals(lf, -1, `${c.kind} is half-closed but has an LF`);
  }
  assertEquals(kinds.size, 24, [...kinds.keys()].join(", "));
  const crlf = (b: Uint8Array): boolean => b.at(-2) === 13 && b.at(-1) === 10;
  for (const [kind, length] of [["1024-byte URL", 1024], ["1025-byte URL", 1025]] as const) {
    for (const b of kinds.get(kind)!) {
      assertEquals(b.length, length + 2);
      assert(crlf(b));
    }
  }
  for (const b of kinds.get("1026-byte URL")!) assertEquals(b.length, 1028);
  for (const b of kinds.get("1027 bytes, no CRLF")!) {
    assertEquals(b.length, 1027);
    assertEquals(b.indexOf(10), -1);
  }
  for (const b of kinds.get("bare LF")!) assert(b.at(-1) === 10 && b.at(-2) !== 13);
  for (const b of kinds.get("NUL")!) assert(b.includes(0));
  for (const b of kinds.get("userinfo")!) {
    assertMatch(new TextDecoder().decode(b), /^gemini:\/\/[^/]*@/);
  }
  for (const b of kinds.get("byte order mark")!) {
    assertEquals([...b.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  }
});

Deno.test("seededRandom: numbers in [0, 1), repeatable", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  for (let i = 0; i < 1_000; i++) {
    const x = a();
    assert(x >= 0 && x < 1);
    assertEquals(x, b());
  }
});

// ---------------------------------------------------------------------------------------
// hello.ts

/**
 * Connects, sends `bytes`, and returns the peer's first TLS record, or what it sent before
 * closing (empty when it closed at once); gives up after 3 s.
 */
function exchange(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = new Uint8Array();
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, 3_000);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk: Uint8Array) => {
      const grown = new Uint8Array(received.length + chunk.length);
      grown.set(received);
      grown.set(chunk, received.length);
      received = grown;
      if (recordLength(received) !== undefined) done();
    });
    socket.on("error", () => {});
    socket.on("close", done);
  });
}

/** A lib/tls listener whose accepted connections attempt the handshake, then close. */
async function helloServer(backend: ListenerBackend): Promise<{ port: number; close(): void }> {
  const { cert, key } = await localhostCertificate();
  const listener = await listen({
    hostname: "127.0.0.1",
    port: 0,
    certificates: [{ cert, key }],
    backend,
  });
  (async () => {
    for await (const conn of listener) {
      conn.handshake().then(() => conn.close(), () => conn.destroy());
    }
  })();
  return { port: listener.addr.port, close: () => listener.close() };
}

Deno.test("captureClientHello(): one complete handshake record that starts a ClientHello", async () => {
  const hello = await captureClientHello("localhost");
  assertEquals(hello[0], RECORD_TYPE.handshake);
  assertEquals(recordLength(hello), hello.length);
  assertEquals(hello[5], 1); // ClientHello
  assert(new TextDecoder().decode(hello).includes("localhost"), "SNI");
});

for (const backend of ["node", "deno"] as const) {
  Deno.test(`hellos on the ${backend} backend: the captured one gets a ServerHello, the TLS 1.1 one none`, async () => {
    const server = await helloServer(backend);
    try {
      const answer = await exchange(server.port, await captureClientHello("localhost"));
      assertEquals(answer[0], RECORD_TYPE.handshake);
      assertEquals(answer[5], 2); // ServerHello
      const refused = await exchange(server.port, tls11ClientHello("localhost"));
      // Closed, or an alert: never a handshake record.
      assert(refused.length === 0 || refused[0] === RECORD_TYPE.alert, `got ${refused[0]}`);
    } finally {
      server.close();
    }
  });
}

Deno.test("tls11ClientHello(): well formed, TLS 1.1 only: a TLS 1.1 server (openssl) answers with a TLS 1.1 ServerHello", async () => {
  const hello = tls11ClientHello("localhost", new Uint8Array(32).fill(7));
  assertEquals(recordLength(hello), hello.length);
  assertEquals([hello[0], hello[5], hello[9], hello[10]], [RECORD_TYPE.handshake, 1, 3, 2]);
  // No supported_versions extension (type 43) that could offer a newer version.
  const extensionsAt = 5 + 4 + 2 + 32 + 1 + 2 + 14 + 2 + 2;
  for (let at = extensionsAt; at < hello.length;) {
    const type = (hello[at] << 8) | hello[at + 1];
    assert(type !== 43, "supported_versions");
    at += 4 + ((hello[at + 2] << 8) | hello[at + 3]);
  }
  assertThrows(() => tls11ClientHello("localhost", new Uint8Array(31)), RangeError);

  const dir = await Deno.makeTempDir();
  const { cert, key } = await localhostCertificate();
  await Deno.writeTextFile(`${dir}/c.pem`, cert);
  await Deno.writeTextFile(`${dir}/k.pem`, key);
  const port = peerPort();
  const child = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      `${dir}/c.pem`,
      "-key",
      `${dir}/k.pem`,
      "-tls1_1",
      "-cipher",
      "ALL:@SECLEVEL=0",
      "-naccept",
      "1",
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let answer: Uint8Array = new Uint8Array();
    const deadline = Date.now() + 10_000;
    while (answer.length === 0 && Date.now() < deadline) {
      answer = await exchange(port, hello); // empty while s_server is still starting
      if (answer.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(answer[0], RECORD_TYPE.handshake);
    assertEquals([answer[5], answer[9], answer[10]], [2, 3, 2]); // ServerHello, TLS 1.1
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.stdin.close().catch(() => {});
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// sockets.ts

Deno.test("AddressPool: addresses 127.N.x.1..254 in turn, wrapping at the pool size", () => {
  const pool = new AddressPool(9, 300);
  assertEquals(pool.at(0), "127.9.0.1");
  assertEquals(pool.at(253), "127.9.0.254");
  assertEquals(pool.at(254), "127.9.1.1");
  assertEquals(pool.at(300), "127.9.0.1");
  assertEquals([pool.next(), pool.next()], ["127.9.0.1", "127.9.0.2"]);
  assertThrows(() => new AddressPool(9, 0), RangeError);
  assertThrows(() => new AddressPool(9, 254 * 256 + 1), RangeError);
  assertThrows(() => new AddressPool(256, 1), RangeError);
});

Deno.test("connectFrom(): the server sees the chosen loopback source address", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const target: Target = {
    host: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
    servername: "localhost",
  };
  try {
    for (const from of ["127.9.0.5", "127.9.3.200"]) {
      const socket = await connectFrom(target, from);
      const conn = await listener.accept();
      assertEquals((conn.remoteAddr as Deno.NetAddr).hostname, from);
      conn.close();
      socket.destroy();
    }
  } finally {
    listener.close();
  }
});

// ---------------------------------------------------------------------------------------
// attacks.ts

Deno.test("flood(): stops at its count, at its time, and when until() says so", async () => {
  const counted = await flood(
    { concurrency: 4, durationMs: 60_000, maxCount: 50 },
    () => Promise.resolve("x"),
  );
  assertEquals([counted.total, counted.counts], [50, { x: 50 }]);
  const timed = await flood(
    { concurrency: 2, durationMs: 200, maxCount: 1_000_000 },
    () => new Promise((r) => setTimeout(() => r("slow"), 20)),
  );
  assert(timed.total < 100 && timed.elapsedMs < 5_000, `${timed.total} in ${timed.elapsedMs}`);
  let n = 0;
  const stopped = await flood(
    { concurrency: 1, durationMs: 60_000, maxCount: 1_000, until: () => n >= 7 },
    () => Promise.resolve(String(n++ % 2)),
  );
  assertEquals(stopped.total, 7);
  const failing = await flood(
    { concurrency: 1, durationMs: 60_000, maxCount: 3 },
    () => Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
  );
  assertEquals(failing.counts, { ECONNREFUSED: 3 });
});

Deno.test("scaledMs()/scaledCount(): scaled, never below their floors", () => {
  assertEquals(scaledMs(15_000, 1), 15_000);
  assertEquals(scaledMs(15_000, 0.1), 1_500);
  assertEquals(scaledMs(15_000, 0.01), 1_000);
  assertEquals(scaledCount(100_000, 0.001, 100), 100);
  assertEquals(scaledCount(1_000, 0.001), 10);
});

Deno.test("attacks: connect-flood comes from many addresses, refused-flood from one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const target: Target = {
    host: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
    servername: "localhost",
  };
  const seen = new Set<string>();
  let stop = false;
  const accepting = (async () => {
    for await (const conn of listener) {
      seen.add((conn.remoteAddr as Deno.NetAddr).hostname);
      conn.close();
      if (stop) break;
    }
  })().catch(() => {});
  try {
    const many = await attackNamed("connect-flood").run({ target, scale: 0.01 });
    assert((many.counts.connected ?? 0) > 100, many.summary);
    assert(seen.size > 100, `${seen.size} addresses`);
    assert([...seen].every((a) => a.startsWith("127.1.")), [...seen].slice(0, 3).join());
    seen.clear();
    const one = await attackNamed("refused-flood").run({ target, scale: 0.01 });
    assert((one.counts.connected ?? 0) > 10, one.summary);
    assertEquals([...seen], ["127.4.0.1"]);
  } finally {
    stop = true;
    listener.close();
    await accepting;
  }
});

Deno.test("attacks: fuzz sends its count of lines and classifies each answer", async () => {
  const server = await startTestServer(async ({ socket }) => {
    await new Promise<void>((r) => socket.end("59 No\r\n", () => r()));
  }, { requestCert: false, raw: true });
  try {
    const target: Target = { host: "127.0.0.1", port: server.port, servername: "localhost" };
    const r = await attackNamed("fuzz").run({ target, scale: 0.001 });
    assertEquals(r.counts, { "status 59": 100 });
    assertEquals(r.load, "100 lines");
  } finally {
    await server.close();
  }
});

Deno.test("attacks: the names are unique and an unknown name is refused with the list", () => {
  const names = ATTACKS.map((a) => a.name);
  assertEquals(new Set(names).size, names.length);
  assertEquals(names.length, 8);
  assertThrows(() => attackNamed("nope"), TypeError, "known: connect-flood");
});

// ---------------------------------------------------------------------------------------
// probe.ts

Deno.test("fetchPage(): a complete 20 is ok; another status, a short body or silence is not", async () => {
  const body = "# Hi\n";
  let mode = "ok";
  const server = await startTestServer(async ({ socket }) => {
    if (mode === "silent") return; // never answers
    const text = mode === "ok"
      ? `20 text/gemini\r\n${body}`
      : mode === "short"
      ? "20 text/gemini\r\n# H"
      : "44 5\r\n";
    await new Promise<void>((r) => socket.end(text, () => r()));
  }, { requestCert: false });
  try {
    const target: Target = { host: "127.0.0.1", port: server.port, servername: "localhost" };
    const options = { from: "127.200.0.9", bodyLength: body.length, timeoutMs: 1_000 };
    assertEquals((await fetchPage(target, options)).ok, true);
    mode = "short";
    assertMatch((await fetchPage(target, options)).error ?? "", /body of 3 bytes/);
    mode = "busy";
    assertMatch((await fetchPage(target, options)).error ?? "", /answer "44 5"/);
    mode = "silent";
    const silent = await fetchPage(target, options);
    assertEquals(silent.ok, false);
    assert(silent.ms >= 900 && silent.ms < 5_000, `${silent.ms} ms`);
    assertEquals(server.lines.at(-1), `gemini://localhost:${server.port}/`);
  } finally {
    await server.close();
  }
});

Deno.test("Probe: fetches in turn from its pool until stopped, and reports failures", async () => {
  let n = 0;
  const from = new Set<string>();
  const server = await startTestServer(async ({ socket }) => {
    from.add(socket.remoteAddress ?? "");
    const text = n++ === 2 ? "40 Oops\r\n" : "20 text/gemini\r\nok";
    await new Promise<void>((r) => socket.end(text, () => r()));
  }, { requestCert: false });
  try {
    const target: Target = { host: "127.0.0.1", port: server.port, servername: "localhost" };
    const probe = new Probe(target, { pool: new AddressPool(200, 3), intervalMs: 20 });
    probe.start();
    const deadline = Date.now() + 10_000;
    while (n < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const report = await probe.stop();
    assert(report.requests >= 6, `${report.requests} requests`);
    assertEquals(report.ok, report.requests - 1);
    assertEquals(report.failures.length, 1);
    assertMatch(report.failures[0], /answer "40 Oops"/);
    assertEquals([...from].sort(), ["127.200.0.1", "127.200.0.2", "127.200.0.3"]);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------
// report.ts, settings.ts, server.ts

function row(overrides: Partial<SoakRow> = {}): SoakRow {
  return {
    backend: "node",
    attack: "connect-flood",
    load: "10 connections",
    summary: "10 connections",
    startKiB: 100 * 1024,
    peakKiB: 100 * 1024,
    afterKiB: 100 * 1024,
    afterMs: 10_000,
    recycles: [],
    probe: { requests: 40, ok: 40, worstMs: 12, failures: [] },
    alive: true,
    notes: [],
    ...overrides,
  };
}

Deno.test("missedTargets(): each target at its exact limit passes, one KiB more fails", () => {
  const start = 100 * 1024;
  assertEquals(
    missedTargets(row({ afterKiB: start + 30 * 1024, peakKiB: start + 200 * 1024 })),
    [],
  );
  assertEquals(missedTargets(row({ afterKiB: start + 30 * 1024 + 1 })), ["after"]);
  assertEquals(missedTargets(row({ peakKiB: start + 200 * 1024 + 1 })), ["peak"]);
  assertEquals(
    missedTargets(row({ probe: { requests: 40, ok: 39, worstMs: 2_000, failures: [] } })),
    ["served"],
  );
  assertEquals(
    missedTargets(row({ probe: { requests: 0, ok: 0, worstMs: 0, failures: [] } })),
    ["served"],
  );
  assertEquals(missedTargets(row({ alive: false })), ["crash"]);
  assertEquals(verdict(row()), "PASS");
  assertEquals(verdict(row({ alive: false, afterKiB: start * 3 })), "FAIL (after, crash)");
});

Deno.test("soakTable(): one line per row with the deltas and the verdict", () => {
  const table = soakTable([
    row(),
    row({ backend: "deno", attack: "pusher", peakKiB: 400 * 1024, recycles: ["recycling"] }),
    row({ afterKiB: 100 * 1024 - 300 }),
  ]);
  const lines = table.split("\n");
  assertEquals(lines.length, 5);
  assertMatch(lines[0], /\| backend +\| attack .*\| 10 s after MiB \(Δ\) .*\| result +\|$/);
  assertMatch(lines[2], /\| node +\| connect-flood .*\| 100 +\| 100 \(\+0\) .*\| PASS +\|$/);
  assertMatch(
    lines[3],
    /\| deno .*\| 400 \(\+300\) .*\| 1 +\| 40\/40, worst 12 ms .*FAIL \(peak\)/,
  );
  assertMatch(lines[4], /\| 100 \(\+0\) +\| 100 \(\+0\) +\|/); // less than half a MiB: no "−0"
  assert(lines.every((l) => l.length === lines[0].length), "aligned columns");
});

Deno.test("soakSettings(): defaults, subsets, and bad values named", () => {
  const env = (vars: Record<string, string>) => (name: string): string | undefined => vars[name];
  const all = soakSettings(env({}));
  assertEquals(all.backends, ["node", "deno"]);
  assertEquals(all.attacks, ATTACKS.map((a) => a.name));
  assertEquals(all.scale, 1);
  const some = soakSettings(
    env({ SOAK_BACKENDS: "deno", SOAK_ATTACKS: "fuzz, pusher", SOAK_SCALE: "0.1" }),
  );
  assertEquals([some.backends, some.attacks, some.scale], [["deno"], ["fuzz", "pusher"], 0.1]);
  assertThrows(() => soakSettings(env({ SOAK_BACKENDS: "rustls" })), TypeError, '"rustls"');
  assertThrows(() => soakSettings(env({ SOAK_ATTACKS: "fuzz,nope" })), TypeError, '"nope"');
  for (const bad of ["0", "-1", "abc", "11"]) {
    assertThrows(() => soakSettings(env({ SOAK_SCALE: bad })), TypeError, "SOAK_SCALE");
  }
});

Deno.test("configFile(): gemini serve accepts it, and it differs from `serve DIR` only in backend", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/capsule`);
    const check = async (args: string[]): Promise<string> => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", new URL("../../cli.ts", import.meta.url).pathname, ...args],
        env: { GEMINI_HOME: `${dir}/home` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      // The configuration, without the permissions after it (they name the config file).
      return new TextDecoder().decode(out.stdout).split("\n# Permissions of each worker")[0];
    };
    const plain = await check(["serve", `${dir}/capsule`, "--listen", "127.0.0.1:0", "--check"]);
    for (const backend of ["node", "deno"] as const) {
      await Deno.writeTextFile(`${dir}/${backend}.toml`, configFile(backend));
      const ours = await check(
        ["serve", "--config", `${dir}/${backend}.toml`, "--listen", "127.0.0.1:0", "--check"],
      );
      // The configuration part; the comments after it name each listener's backend and why.
      const config = (text: string): string => text.replace(/^# listener .*\n/gm, "");
      assertEquals(
        config(ours),
        config(plain).replace('backend = "auto"', `backend = "${backend}"`),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
