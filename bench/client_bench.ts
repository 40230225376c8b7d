/**
 * Client benchmarks (`make bench`, or `deno bench -A bench/client_bench.ts`): a small
 * Gemini server runs in this process on loopback (lib/tls `listen`; the full server is
 * measured elsewhere), and we measure
 *
 * - `./gemini get` wall time for a 1 KiB page, as a user runs it (a new process each time;
 *   the median of 50 runs is the `p50` column),
 * - `./gemini get` throughput for a 50 MiB body, in MB/s,
 * - the client library called in-process for the same two fetches.
 *
 * Deno's table shows each group's ratios against its baseline; a summary with the medians,
 * MB/s and the process-versus-library ratios is printed when the run ends. Compare lines of
 * the same run only.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "../lib/client/client.ts";
import type { KnownHost, KnownHostsStore } from "../lib/client/types.ts";
import { generateCertificate } from "../lib/tls/certificate.ts";
import { listen } from "../lib/tls/listen.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const LAUNCHER = join(ROOT, "gemini");
const PAGE_RUNS = 50;
const BIG = 50 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);
const PAGE = "20 text/gemini\r\n" + ("# Benchmark page\n" + "x".repeat(1006) + "\n").slice(0, 1024);

const certificate = await generateCertificate("localhost", {
  altNames: ["localhost", "127.0.0.1"],
});
const listener = await listen({
  port: 0,
  hostname: "127.0.0.1",
  certificates: [certificate],
});
(async () => {
  for await (const conn of listener) {
    (async () => {
      try {
        await conn.handshake();
        const line = new TextDecoder().decode((await conn.read()) ?? new Uint8Array());
        if (line.includes("/big")) {
          await conn.write("20 application/octet-stream\r\n");
          for (let sent = 0; sent < BIG; sent += CHUNK.length) await conn.write(CHUNK);
        } else {
          await conn.write(PAGE);
        }
        await conn.close();
      } catch {
        conn.destroy();
      }
    })();
  }
})();

const port = listener.addr.port;
const pageUrl = `gemini://localhost:${port}/page`;
const bigUrl = `gemini://localhost:${port}/big`;
const home = await Deno.makeTempDir({ prefix: "gemini-bench-" });

/** A known-hosts store in memory, so the in-process numbers measure the client, not files. */
function memoryKnownHosts(): KnownHostsStore {
  const entries = new Map<string, KnownHost>();
  return {
    get: (h, p) => Promise.resolve(entries.get(`${h}:${p}`)),
    put: (e) => Promise.resolve(void entries.set(`${e.host}:${e.port}`, e)),
    remove: (h, p) => Promise.resolve(entries.delete(`${h}:${p}`)),
    list: () => Promise.resolve([...entries.values()]),
  };
}
const client = new Client({ knownHosts: memoryKnownHosts() });

const timings: Record<string, number[]> = {};
async function timed(name: string, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  (timings[name] ??= []).push(performance.now() - start);
}

async function getProcess(url: string): Promise<void> {
  const { code } = await new Deno.Command(LAUNCHER, {
    args: ["get", url],
    env: { GEMINI_HOME: home },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`./gemini get ${url} exited with ${code}`);
}

async function getLibrary(url: string, expected: number): Promise<void> {
  const response = await client.fetch(url);
  let size = 0;
  for await (const chunk of response.body) size += chunk.length;
  if (size !== expected) throw new Error(`Got ${size} bytes from ${url}, expected ${expected}`);
}

// Pin the certificate once, outside the measurements.
await getProcess(pageUrl);
await getLibrary(pageUrl, PAGE.length - 16);

Deno.bench({
  name: "./gemini get, 1 KiB page (new process each run)",
  group: "1 KiB page",
  baseline: true,
  n: PAGE_RUNS,
  warmup: 1,
  async fn(): Promise<void> {
    await timed("process page", () => getProcess(pageUrl));
  },
});

Deno.bench({
  name: "Client.fetch, 1 KiB page (in-process)",
  group: "1 KiB page",
  n: 200,
  warmup: 5,
  async fn(): Promise<void> {
    await timed("library page", () => getLibrary(pageUrl, PAGE.length - 16));
  },
});

Deno.bench({
  name: "./gemini get, 50 MiB body",
  group: "50 MiB body",
  baseline: true,
  n: 3,
  warmup: 0,
  async fn(): Promise<void> {
    await timed("process big", () => getProcess(bigUrl));
  },
});

Deno.bench({
  name: "Client.fetch, 50 MiB body (in-process)",
  group: "50 MiB body",
  n: 3,
  warmup: 0,
  async fn(): Promise<void> {
    await timed("library big", () => getLibrary(bigUrl, BIG));
  },
});

function median(values: number[] | undefined): number {
  if (!values || values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

globalThis.addEventListener("unload", () => {
  const processPage = median(timings["process page"]);
  const libraryPage = median(timings["library page"]);
  const mbps = (ms: number): number => BIG / 1e6 / (ms / 1000);
  const processBig = mbps(median(timings["process big"]));
  const libraryBig = mbps(median(timings["library big"]));
  const lines = [
    "",
    "client summary (medians, loopback, this run):",
    `  ./gemini get 1 KiB page:      ${processPage.toFixed(1)} ms (${
      timings["process page"]?.length ?? 0
    } runs)`,
    `  Client.fetch 1 KiB page:      ${libraryPage.toFixed(2)} ms = ${
      (1000 / libraryPage).toFixed(0)
    } fetches/s`,
    `  ratio process/library:        ${(processPage / libraryPage).toFixed(1)}x`,
    `  ./gemini get 50 MiB body:     ${processBig.toFixed(1)} MB/s`,
    `  Client.fetch 50 MiB body:     ${libraryBig.toFixed(1)} MB/s`,
    `  ratio library/process:        ${(libraryBig / processBig).toFixed(2)}x`,
    "",
  ];
  Deno.stdout.writeSync(new TextEncoder().encode(lines.join("\n")));
  listener.close();
  try {
    Deno.removeSync(home, { recursive: true });
  } catch {
    // already gone
  }
});
