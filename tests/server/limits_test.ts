import { assert, assertEquals } from "../_helpers/assert.ts";
import { waitForValue } from "../_helpers/wait.ts";
import { BanList, Limits, rateLimit, RateLimiter } from "../../lib/server/limits.ts";
import { type ClientConnection, dial } from "../../lib/tls/dial.ts";
import net from "node:net";
import { fetchUrl, PIPELINE_TEST, startServer } from "./_harness.ts";
import { handlerRequest } from "./_request.ts";

const ok = () => ({ status: 20, meta: "text/plain", body: "ok" });

/** Whether a request to `port` is refused: the connection fails or no status comes back. */
async function isRefused(port: number): Promise<boolean> {
  try {
    const r = await fetchUrl(port, "gemini://localhost/");
    return Number.isNaN(r.status);
  } catch {
    return true;
  }
}

Deno.test("RateLimiter answers the real wait in whole seconds and refills over time", () => {
  let t = 0;
  const limiter = new RateLimiter({ burst: 3, perSecond: 0.5 }, () => t);
  assertEquals([limiter.take("a"), limiter.take("a"), limiter.take("a")], [0, 0, 0]);
  assertEquals(limiter.take("a"), 2); // one token takes 2 s at 0.5/s
  assertEquals(limiter.take("b"), 0, "other clients have their own bucket");
  t = 1000;
  assertEquals(limiter.take("a"), 1); // half a token left to wait for
  t = 2000;
  assertEquals(limiter.take("a"), 0);
  t = 1_000_000;
  assertEquals([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")], [
    0,
    0,
    0,
    2,
  ]);
});

Deno.test("BanList bans after repeated refusals, for a period that doubles", () => {
  let t = 0;
  const bans = new BanList({ after: 3, windowSeconds: 10, seconds: 5, maxSeconds: 12 }, () => t);
  assertEquals([bans.strike("x"), bans.strike("x"), bans.strike("x")], [0, 0, 5]);
  assertEquals(bans.bannedFor("x"), 5);
  t = 5000;
  assertEquals(bans.bannedFor("x"), 0);
  assertEquals([bans.strike("x"), bans.strike("x"), bans.strike("x")], [0, 0, 10]);
  t = 15_000;
  assertEquals([bans.strike("x"), bans.strike("x"), bans.strike("x")], [0, 0, 12], "capped");
  // Refusals spread wider than the window do not add up.
  const slow = new BanList({ after: 2, windowSeconds: 1 }, () => t);
  slow.strike("y");
  t += 2000;
  assertEquals(slow.strike("y"), 0);
});

Deno.test("Limits caps open connections per IP and in total", () => {
  const limits = new Limits({ maxConnectionsPerIp: 2, maxConnections: 3 });
  assertEquals([limits.open("a"), limits.open("a"), limits.open("a")], [
    undefined,
    undefined,
    "per-ip",
  ]);
  assertEquals([limits.open("b"), limits.open("c")], [undefined, "global"]);
  limits.close("a");
  assertEquals(limits.open("c"), undefined);
  assertEquals(limits.openConnections, 3);
});

Deno.test("rateLimit() middleware answers 44 with the wait", async () => {
  const t = 0;
  const handler = rateLimit({ burst: 1, perSecond: 0.25 }, () => t)(ok);
  const request = handlerRequest("gemini://localhost/", {
    remoteAddress: { hostname: "10.0.0.1", port: 1 },
  });
  assertEquals((await handler(request)).status, 20);
  assertEquals(await handler(request), { status: 44, meta: "4" });
});

Deno.test("serve() answers 44 with a number of seconds when the bucket is empty, and recovers", async () => {
  const s = await startServer(ok, {
    ...PIPELINE_TEST,
    limits: { rate: { burst: 2, perSecond: 10 }, ban: false },
  });
  try {
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 20);
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 20);
    const slow = await fetchUrl(s.port, "gemini://localhost/");
    assertEquals(slow.status, 44);
    assert(/^[1-9][0-9]*$/.test(slow.meta), slow.header);
    // Served again within the wait it announced (polled: a 44 takes no token).
    const status = await waitForValue(
      async () => {
        const r = await fetchUrl(s.port, "gemini://localhost/").then((r) => r.status, () => NaN);
        return r === 44 || Number.isNaN(r) ? undefined : r;
      },
      "the bucket to refill",
      { timeoutMs: Number(slow.meta) * 1000 + 500, intervalMs: 100 },
    );
    assertEquals(status, 20);
  } finally {
    await s.close();
  }
});

Deno.test("serve() bans a client that keeps hitting the rate limit", async () => {
  const s = await startServer(ok, {
    ...PIPELINE_TEST,
    limits: {
      rate: { burst: 1, perSecond: 0.01 },
      connectionRate: { burst: 10, perSecond: 1 },
      ban: { after: 2, seconds: 60 },
    },
  });
  try {
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 20);
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 44);
    assertEquals((await fetchUrl(s.port, "gemini://localhost/")).status, 44);
    // Banned now: the connection is closed before the TLS handshake.
    assert(await isRefused(s.port), "a banned client is not served");
  } finally {
    await s.close();
  }
});

Deno.test("serve() refuses connections over the per-IP cap", async () => {
  const s = await startServer(ok, {
    ...PIPELINE_TEST,
    limits: { rate: false, maxConnectionsPerIp: 2 },
  });
  const idle: ClientConnection[] = [];
  try {
    idle.push(await dial("127.0.0.1", { port: s.port }));
    idle.push(await dial("127.0.0.1", { port: s.port }));
    assert(await isRefused(s.port), "the third connection is refused");
    for (const c of idle.splice(0)) c.destroy();
    // Once the idle ones are gone, a request is served again (bounded wait for the close).
    const status = await waitForValue(
      async () => {
        const r = await fetchUrl(s.port, "gemini://localhost/").then((r) => r.status, () => NaN);
        return r === 20 ? r : undefined;
      },
      "a request to be served again",
      { timeoutMs: 1000, intervalMs: 20 },
    );
    assertEquals(status, 20);
  } finally {
    for (const c of idle) c.destroy();
    await s.close();
  }
});

Deno.test("200 idle connections do not stop a request from being served and are closed at the deadline", async () => {
  const s = await startServer(ok, {
    ...PIPELINE_TEST,
    requestTimeoutMs: 1500,
    limits: { rate: false, maxConnectionsPerIp: 1000, maxConnections: 1000 },
  });
  const tcp: net.Socket[] = [];
  const tlsConns: ClientConnection[] = [];
  try {
    // 150 that never start TLS and 50 that finish the handshake but send nothing.
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 150; i++) {
      const socket = net.connect({ host: "127.0.0.1", port: s.port });
      socket.on("error", () => {});
      closed.push(new Promise((resolve) => socket.on("close", () => resolve())));
      tcp.push(socket);
    }
    for (let i = 0; i < 50; i++) tlsConns.push(await dial("127.0.0.1", { port: s.port }));
    const r = await fetchUrl(s.port, "gemini://localhost/");
    assertEquals([r.status, r.text], [20, "ok"]);
    // Each TLS idler is told 59 at the deadline; each TCP idler is closed.
    const answers = await Promise.all(tlsConns.map(async (c) => {
      const chunk = await c.read();
      return chunk ? new TextDecoder().decode(chunk) : "";
    }));
    assertEquals(new Set(answers), new Set(["59 Request timeout\r\n"]));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const all = await Promise.race([
      Promise.all(closed).then(() => "closed"),
      new Promise((resolve) => (timer = setTimeout(() => resolve("still open"), 10_000))),
    ]);
    clearTimeout(timer);
    assertEquals(all, "closed");
  } finally {
    for (const socket of tcp) socket.destroy();
    for (const c of tlsConns) c.destroy();
    await s.close();
  }
});
