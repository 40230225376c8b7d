/**
 * SharedLimitTable: the limits of limits.ts kept in shared memory, and the proof that
 * several workers attached to one table enforce one limit, not one each.
 */

import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import { SharedLimitTable } from "../../lib/server/shared_limits.ts";

Deno.test("SharedLimitTable caps open connections per IP and in total", () => {
  const table = SharedLimitTable.create({ maxConnectionsPerIp: 2, maxConnections: 3 });
  assertEquals(table.open("10.0.0.1"), undefined);
  assertEquals(table.open("10.0.0.1"), undefined);
  assertEquals(table.open("10.0.0.1"), "per-ip");
  assertEquals(table.open("10.0.0.2"), undefined);
  assertEquals(table.open("10.0.0.3"), "global");
  assertEquals(table.openConnections, 3);
  table.close("10.0.0.1");
  assertEquals(table.open("10.0.0.3"), undefined);
  for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) table.close(ip);
  assertEquals(table.openConnections, 0);
  // Closing more than was opened never goes below zero.
  table.close("10.0.0.9");
  assertEquals(table.openConnections, 0);
});

Deno.test("SharedLimitTable rate-limits per IP with the real wait in whole seconds", () => {
  let t = 0;
  const table = SharedLimitTable.create(
    { rate: { burst: 2, perSecond: 0.5 }, ban: false },
    () => t,
  );
  assertEquals(table.takeRequest("a"), 0);
  assertEquals(table.takeRequest("a"), 0);
  assertEquals(table.takeRequest("a"), 2);
  assertEquals(table.takeRequest("b"), 0);
  t = 1000;
  assertEquals(table.takeRequest("a"), 1);
  t = 2000;
  assertEquals(table.takeRequest("a"), 0);
  const off = SharedLimitTable.create({ rate: false });
  for (let i = 0; i < 100; i++) assertEquals(off.takeRequest("a"), 0);
});

Deno.test("SharedLimitTable bans an IP that keeps hitting the rate limit, doubling each time", () => {
  let t = 0;
  const table = SharedLimitTable.create({
    rate: { burst: 1, perSecond: 0.001 },
    ban: { after: 3, windowSeconds: 60, seconds: 10, maxSeconds: 15 },
  }, () => t);
  table.takeRequest("x");
  for (let i = 0; i < 3; i++) assert(table.takeRequest("x") > 0);
  assertEquals(table.bannedFor("x"), 10);
  assertEquals(table.open("x"), "banned");
  t = 10_000;
  assertEquals(table.open("x"), undefined);
  table.close("x");
  for (let i = 0; i < 3; i++) table.takeRequest("x");
  assertEquals(table.bannedFor("x"), 15); // 20 s capped at maxSeconds
});

Deno.test("SharedLimitTable reuses idle slots and fails open when every slot is busy", () => {
  let t = 0;
  const table = SharedLimitTable.create(
    {
      slots: 16,
      maxConnectionsPerIp: 1,
      rate: { burst: 1, perSecond: 1 },
      connectionRate: false,
      ban: false,
    },
    () => t,
  );
  const ips = Array.from({ length: 16 }, (_, i) => `192.0.2.${i}`);
  for (const ip of ips) assertEquals(table.open(ip), undefined);
  // Every slot holds an open connection: a 17th IP is admitted without per-IP accounting.
  assertEquals(table.open("198.51.100.1"), undefined);
  assertEquals(table.open("198.51.100.1"), undefined);
  assertEquals(table.takeRequest("198.51.100.1"), 0);
  assertEquals(table.openConnections, 18);
  for (const ip of ips) table.close(ip);
  table.close("198.51.100.1");
  table.close("198.51.100.1");
  assertEquals(table.openConnections, 0);
  // Idle slots are taken over: the new IP is tracked again.
  assertEquals(table.open("198.51.100.1"), undefined);
  assertEquals(table.open("198.51.100.1"), "per-ip");
  // An IP whose bucket is still refilling keeps its slot (so its limit holds).
  table.close("198.51.100.1");
  assertEquals(table.takeRequest("192.0.2.0"), 0);
  assertEquals(table.takeRequest("192.0.2.0"), 1);
  t = 1000;
  assertEquals(table.takeRequest("192.0.2.0"), 0);
});

Deno.test("SharedLimitTable refuses a buffer of the wrong size and absurd slot counts", () => {
  const table = SharedLimitTable.create({ slots: 64 });
  assertThrows(
    () => SharedLimitTable.attach(table.buffer, { slots: 128 }),
    RangeError,
    "slot count",
  );
  assertThrows(() => SharedLimitTable.create({ slots: 3 }), RangeError, "slots");
  assertThrows(() => SharedLimitTable.create({ rate: { burst: 0 } }), RangeError, "burst");
});

Deno.test("SharedLimitTable: N workers on one table do not multiply a per-IP limit", async () => {
  const options = {
    rate: { burst: 10, perSecond: 0.001 },
    maxConnectionsPerIp: 7,
    ban: false as const,
  };
  const table = SharedLimitTable.create(options);
  const workers = Array.from(
    { length: 4 },
    () => new Worker(new URL("./_shared_limits_worker.ts", import.meta.url), { type: "module" }),
  );
  try {
    const results = await Promise.all(
      workers.map((worker) =>
        new Promise<{ granted: number; admitted: number }>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error("worker did not answer in 20 s")),
            20_000,
          );
          worker.onmessage = (event): void => {
            clearTimeout(timer);
            resolve(event.data);
          };
          worker.onerror = (event): void => {
            clearTimeout(timer);
            reject(new Error(event.message));
          };
          worker.postMessage({ buffer: table.buffer, options, ip: "203.0.113.9", count: 50 });
        })
      ),
    );
    // 4 workers × 50 attempts: still 10 requests and 7 connections in all.
    assertEquals(results.reduce((n, r) => n + r.granted, 0), 10);
    assertEquals(results.reduce((n, r) => n + r.admitted, 0), 7);
    assertEquals(table.openConnections, 7);
  } finally {
    for (const worker of workers) worker.terminate();
  }
});
