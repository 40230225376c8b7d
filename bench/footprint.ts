/**
 * `make bench-footprint`: the resident memory of `gemini serve DIR` with its default
 * configuration (one worker, backend "auto"), next to the floor Deno 2.9.6 sets. For each
 * program it reports the RSS at rest (the median of samples taken 6 to 10 s after start,
 * summed over the process tree from /proc) and, for our server, the peak during a load at
 * concurrency 64 on a 1 KiB page and the RSS 10 s after it. The floors are a bare Deno
 * process (`setInterval` only) and the same with one empty Web Worker. Prints a Markdown
 * table and writes it to bench/FOOTPRINT.md.
 *
 * Environment: FOOTPRINT_DURATION (seconds of load, default 10), FOOTPRINT_GEMINI (command
 * that runs gemini, default `./gemini`), FOOTPRINT_OUT (output file).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad, sha256Hex } from "./load.ts";
import { freePort, sampleTree, TreeMonitor } from "./proc.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORK = join(ROOT, "bench", ".work", "footprint");
const DENO = Deno.execPath();
const V8_FLAGS = "--v8-flags=--max-semi-space-size=2,--expose-gc";
const DURATION_S = Number(Deno.env.get("FOOTPRINT_DURATION") ?? "") || 10;
const GEMINI = (Deno.env.get("FOOTPRINT_GEMINI") ?? join(ROOT, "gemini")).split(" ");
const OUT = Deno.env.get("FOOTPRINT_OUT") ?? join(ROOT, "bench", "FOOTPRINT.md");
const encoder = new TextEncoder();

function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

/** The median of RSS samples of `pid`'s tree taken every 250 ms from `fromMs` to `toMs`. */
async function restingRss(pid: number, fromMs: number, toMs: number): Promise<number> {
  const started = Date.now();
  const samples: number[] = [];
  while (Date.now() - started < toMs) {
    if (Date.now() - started >= fromMs) samples.push(sampleTree(pid).rssKiB);
    await sleep(250);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** Runs `args` (a Deno program or our server), returns its RSS at rest, then stops it. */
async function floor(name: string, source: string, worker?: string): Promise<[string, number]> {
  const file = join(WORK, `${name}.ts`);
  await Deno.writeTextFile(file, source);
  if (worker) await Deno.writeTextFile(join(WORK, "worker.ts"), worker);
  const child = new Deno.Command(DENO, {
    args: ["run", "--allow-all", "--unstable-net", V8_FLAGS, file],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const rss = await restingRss(child.pid, 6000, 10_000);
  child.kill("SIGTERM");
  await child.status;
  return [name, rss];
}

interface Server {
  child: Deno.ChildProcess;
  stderr: Promise<string>;
}

/** Starts `gemini ...args` with GEMINI_HOME `home`; resolves once it listens. */
async function startServer(args: string[], home: string): Promise<Server> {
  const [cmd, ...pre] = GEMINI;
  const child = new Deno.Command(cmd, {
    args: [...pre, ...args],
    env: { GEMINI_HOME: home },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const stderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("listening on")) listening();
    }
    listening();
    return text;
  })();
  const timeout = setTimeout(listening, 30_000);
  await ready;
  clearTimeout(timeout);
  if (!text.includes("listening on")) throw new Error(`gemini serve did not start:\n${text}`);
  return { child, stderr };
}

/** Stops a server with SIGTERM; returns its standard error. */
async function stopServer(server: Server): Promise<string> {
  server.child.kill("SIGTERM");
  await server.child.status;
  return await server.stderr;
}

async function main(): Promise<void> {
  await Deno.mkdir(WORK, { recursive: true });
  const capsule = join(WORK, "capsule");
  await Deno.mkdir(capsule, { recursive: true });
  const page = new Uint8Array(1024).map((_, i) => 32 + (i % 90));
  page[1023] = 10;
  await Deno.writeFile(join(capsule, "page.gmi"), page);
  await Deno.writeTextFile(join(capsule, "index.gmi"), "# Footprint\n");

  say("floors: bare deno, deno + an empty worker");
  const rows: [string, number][] = [];
  rows.push(await floor("bare deno", "setInterval(() => {}, 1000);\n"));
  rows.push(
    await floor(
      "deno + one empty Worker",
      'new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });\n' +
        "setInterval(() => {}, 1000);\n",
      "self.onmessage = () => {};\n",
    ),
  );

  const home = join(WORK, "home");
  // The first start generates the certificate (and loads the X.509 code); measure the next.
  const first = await startServer(["serve", "--port", String(freePort()), capsule], home);
  await stopServer(first);
  const port = freePort();
  say(`gemini serve ${capsule} (default configuration) on 127.0.0.1:${port}`);
  const plain = await startServer(["serve", "--port", String(port), capsule], home);
  const idle = await restingRss(plain.child.pid, 6000, 10_000);
  const backend = /(\d+ workers?), (.*) TLS backend/.exec(await stopServer(plain));

  // Under load: the same server, with the rate limits off (the generator is one address).
  const config = join(WORK, "serve.toml");
  await Deno.writeTextFile(
    config,
    [
      `listen = ["127.0.0.1:${port}"]`,
      "[limits]",
      "rate = false",
      "connection_rate = false",
      "ban = false",
      "max_connections_per_ip = 4096",
      "max_connections = 4096",
      "[[host]]",
      'name = "localhost"',
      `root = "${capsule}"`,
      "",
    ].join("\n"),
  );
  say(`the same with [limits] off, under load at c=64 for ${DURATION_S} s`);
  const loaded = await startServer(["serve", "--config", config], home);
  const idleLimitsOff = await restingRss(loaded.child.pid, 6000, 10_000);
  const monitor = new TreeMonitor(loaded.child.pid, 50);
  monitor.start();
  const load = await runLoad({
    url: `gemini://localhost:${port}/page.gmi`,
    connectHost: "127.0.0.1",
    concurrency: 64,
    durationMs: DURATION_S * 1000,
    expect: { status: "20", bodyLength: 1024, bodySha256: sha256Hex(page) },
  });
  const usage = monitor.stop();
  const after = await restingRss(loaded.child.pid, 9000, 10_000);
  await stopServer(loaded);

  const lines = [
    "# Footprint of `gemini serve`",
    "",
    `Measured ${new Date().toISOString().slice(0, 16)}Z with \`make bench-footprint\` ` +
    `(bench/footprint.ts), Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs. ` +
    "RSS summed over the process tree from /proc; at rest: the median of the samples 6-10 s " +
    "after start.",
    "",
    "| program | RSS at rest (MiB) |",
    "| --- | --- |",
    ...rows.map(([name, kib]) => `| ${name} | ${mib(kib)} |`),
    `| \`gemini serve DIR\` (${backend ? `${backend[1]}, ${backend[2]} TLS backend` : "?"}) | ` +
    `${mib(idle)} |`,
    `| the same with \`[limits]\` off (the load run below) | ${mib(idleLimitsOff)} |`,
    "",
    `Under load (c=64, 1 KiB page, ${DURATION_S} s, one TLS handshake per request): ` +
    `${load.ok} requests answered, ${load.requests - load.ok} failed, ` +
    `${load.reqPerSec.toFixed(0)} req/s; **peak RSS ${mib(usage.peakRssKiB)} MiB**, ` +
    `${mib(after)} MiB 10 s after the load.`,
    "",
  ];
  const text = lines.join("\n");
  await Deno.writeTextFile(OUT, text);
  Deno.stdout.writeSync(encoder.encode(text));
  say(`wrote ${OUT}`);
}

if (import.meta.main) await main();
