/**
 * `make soak`: `gemini serve` under the attacks of the open internet, on loopback. For each
 * TLS backend it starts the real server (bench/soak/server.ts), then for each attack
 * (bench/soak/attacks.ts, run in a Web Worker) it records the server's resident memory
 * before, at its peak and 10 s after the attack, the worker recycles the error log
 * announces, and whether a normal client (bench/soak/probe.ts) got a `20` within 2 s
 * throughout; it checks each row against the targets of issue 11, prints the markdown table
 * and writes bench/SOAK.md (bench/soak/report.ts).
 *
 * Environment:
 * - `SOAK_BACKENDS`: backends to run, comma-separated (default `node,deno`)
 * - `SOAK_ATTACKS`: attacks to run, comma-separated (default all, in the order of
 *   bench/soak/attacks.ts)
 * - `SOAK_SCALE`: multiplier of every duration and count, e.g. 0.1 for a quick check
 *   (default 1, the full soak; the wait before the after-sample scales too)
 * - `SOAK_OUT`: the page to write (default bench/SOAK.md)
 * - `SOAK_GEMINI`: the command that runs gemini (default `./gemini`)
 *
 * @module
 */

import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { attackNamed, type AttackResult, FUZZ_MAX_MS } from "./soak/attacks.ts";
import type { AttackReply, AttackRequest } from "./soak/attack_worker.ts";
import { fetchPage, Probe } from "./soak/probe.ts";
import {
  NOTES_HEADING,
  type RunInfo,
  soakPage,
  type SoakRow,
  soakTable,
  verdict,
} from "./soak/report.ts";
import { type Backend, homePage, SoakServer } from "./soak/server.ts";
import { type SoakSettings, soakSettings } from "./soak/settings.ts";
import { AddressPool, pause, type Target } from "./soak/sockets.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORK = join(ROOT, "bench", ".work", "soak");
const encoder = new TextEncoder();

/** The wait between the end of an attack and the after-sample in the full soak, ms. */
const AFTER_MS = 10_000;
/** Time for the attack worker beyond the attack's own bound before it is terminated, ms. */
const ATTACK_GRACE_MS = 60_000;
/** Memory sampling interval, ms. */
const SAMPLE_MS = 100;
/** A server whose RSS grows past start + this (KiB) is killed, to spare the machine. */
const GUARD_KIB = 4096 * 1024;

/** Writes to stderr synchronously (an unawaited write is lost if the process exits). */
function say(text: string): void {
  writeAll(Deno.stderr, text + "\n");
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/** Runs one attack in a worker; resolves with its result or a reason it did not finish. */
async function runInWorker(
  request: AttackRequest,
  boundMs: number,
): Promise<AttackResult | string> {
  const worker = new Worker(new URL("./soak/attack_worker.ts", import.meta.url), {
    type: "module",
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<AttackResult | string>((resolve) => {
      timer = setTimeout(
        () => resolve(`stopped after ${Math.round(boundMs / 1000)} s`),
        boundMs,
      );
      worker.onmessage = (event: MessageEvent<AttackReply>): void => {
        const m = event.data;
        resolve(m.type === "done" ? m.result : m.message);
      };
      worker.onerror = (event: ErrorEvent): void => {
        event.preventDefault();
        resolve(event.message);
      };
      worker.postMessage(request);
    });
  } finally {
    clearTimeout(timer);
    worker.terminate(); // closes whatever the attack left open
  }
}

/** The longest an attack may take at `scale` before its worker is stopped, ms. */
function attackBoundMs(scale: number): number {
  return Math.max(FUZZ_MAX_MS * scale, 1_000) + ATTACK_GRACE_MS;
}

interface Context {
  settings: SoakSettings;
  bodyLength: number;
  probePool: AddressPool;
}

/** One attack against a running server, with the probe and the memory samples around it. */
async function measureAttack(
  server: SoakServer,
  name: string,
  context: Context,
): Promise<SoakRow> {
  const { scale } = context.settings;
  const target: Target = { host: "127.0.0.1", port: server.port, servername: "localhost" };
  const recyclesBefore = server.recycles().length;
  const startKiB = server.rssKiB();
  let peakKiB = startKiB;
  let guardKiB: number | undefined;
  const sampler = setInterval(() => {
    const rss = server.rssKiB();
    peakKiB = Math.max(peakKiB, rss);
    if (rss - startKiB > GUARD_KIB && guardKiB === undefined) {
      guardKiB = rss;
      server.kill();
    }
  }, SAMPLE_MS);
  const probe = new Probe(target, {
    pool: context.probePool,
    bodyLength: context.bodyLength,
  });
  probe.start();
  const outcome = await runInWorker({ name, target, scale }, attackBoundMs(scale));
  const afterMs = Math.max(1_000, Math.round(AFTER_MS * scale));
  const ended = performance.now();
  await pause(afterMs);
  const afterKiB = server.rssKiB();
  clearInterval(sampler);
  peakKiB = Math.max(peakKiB, afterKiB);
  const probeReport = await probe.stop();
  const last = server.alive()
    ? await fetchPage(target, { from: context.probePool.next(), bodyLength: context.bodyLength })
    : undefined;
  const notes: string[] = [];
  if (guardKiB !== undefined) {
    notes.push(
      `The soak killed the server when its RSS reached ${guardKiB >> 10} MiB ` +
        `(start + ${GUARD_KIB >> 20} GiB), to spare the machine.`,
    );
  }
  const alive = server.alive() && last?.ok === true;
  if (!alive) {
    notes.push(
      server.alive()
        ? `The last request failed: ${last?.error}.`
        : `The server exited (${JSON.stringify(server.exitStatus)}); its last log lines:`,
    );
    for (const line of server.tail().slice(-8)) notes.push(`    ${line}`);
  }
  const result = typeof outcome === "string" ? undefined : outcome;
  return {
    backend: server.backend,
    attack: name,
    load: result?.load ?? "did not finish",
    summary: result?.summary ?? `${attackNamed(name).title}; it did not finish`,
    startKiB,
    peakKiB,
    afterKiB,
    afterMs: Math.round(performance.now() - ended),
    recycles: server.recycles().slice(recyclesBefore).map((r) => r.line),
    probe: probeReport,
    alive,
    attackError: typeof outcome === "string" ? outcome : undefined,
    notes,
  };
}

async function startServer(backend: Backend, context: Context): Promise<SoakServer> {
  const server = await SoakServer.start({
    gemini: Deno.env.get("SOAK_GEMINI") ?? join(ROOT, "gemini"),
    workDir: join(WORK, backend),
    backend,
  });
  // Warm up: what a first request loads (modules, the certificate, the page) is not a leak.
  const target: Target = { host: "127.0.0.1", port: server.port, servername: "localhost" };
  for (let i = 0; i < 12; i++) {
    await fetchPage(target, { from: context.probePool.next(), timeoutMs: 10_000 });
    await pause(250);
  }
  await pause(2_000);
  return server;
}

async function commandOutput(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", cwd: ROOT })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/** The commit measured, its branch, and the last commit that changed the server's code. */
async function codeVersion(): Promise<string> {
  const git = (...args: string[]): Promise<string> => commandOutput("git", args);
  const head = await git("rev-parse", "--short", "HEAD");
  const branch = await git("rev-parse", "--abbrev-ref", "HEAD");
  const server = await git("log", "-1", "--format=%h", "--", "lib", "cli.ts", "deno.json");
  const dirty = (await git("status", "--porcelain", "--", "lib", "cli.ts")) === ""
    ? ""
    : ", with uncommitted changes";
  return `${head} (branch ${branch}); the server code (lib/, cli.ts, deno.json) as of ${server}${dirty}`;
}

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * Sets `net.ipv4.tcp_migrate_req=1`, the setting the README recommends for `gemini serve`:
 * when a recycled worker closes its listening socket, Linux hands the connections waiting
 * in its accept queue to the replacement instead of resetting them. Returns a line for the
 * report saying what the setting is (and whether this run had to leave it at 0).
 */
async function migrateRequests(): Promise<string> {
  const now = (await Deno.readTextFile(MIGRATE_REQ).catch(() => "")).trim();
  if (now === "1") return "net.ipv4.tcp_migrate_req = 1 (as the README recommends)";
  try {
    await Deno.writeTextFile(MIGRATE_REQ, "1\n");
    return "net.ipv4.tcp_migrate_req = 1 (set by this run, as the README recommends)";
  } catch {
    return `net.ipv4.tcp_migrate_req = ${now || "unknown"} (could not set it to 1: ` +
      "a worker recycle may reset a connection waiting to be accepted)";
  }
}

async function machine(): Promise<string[]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const load = Deno.loadavg().map((n) => n.toFixed(2)).join(", ");
  return [
    `Machine: ${model}, ${navigator.hardwareConcurrency} logical CPUs, ${
      (memKiB / 1048576).toFixed(0)
    } GiB RAM, Linux ${Deno.osRelease()}; shared with other work (load average ${load} at start)`,
    await migrateRequests(),
  ];
}

/** `make soak`, with the SOAK_ variables this run was given. */
function command(): string {
  const env: string[] = [];
  for (const name of ["SOAK_BACKENDS", "SOAK_ATTACKS", "SOAK_SCALE"]) {
    const value = Deno.env.get(name);
    if (value) env.push(`${name}=${value}`);
  }
  return [...env, "make soak"].join(" ");
}

async function main(): Promise<number> {
  let settings: SoakSettings;
  try {
    settings = soakSettings((name) => Deno.env.get(name));
  } catch (error) {
    say(`soak: ${(error as Error).message}`);
    return 2;
  }
  const began = performance.now();
  const out = Deno.env.get("SOAK_OUT") ?? join(ROOT, "bench", "SOAK.md");
  const context: Context = {
    settings,
    bodyLength: encoder.encode(homePage()).length,
    probePool: new AddressPool(200, 4),
  };
  const info: RunInfo = {
    date: new Date().toISOString(),
    machine: await machine(),
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    command: command(),
    servers: [],
    code: await codeVersion(),
    scale: settings.scale,
    elapsedS: 0,
  };
  const rows: SoakRow[] = [];
  for (const backend of settings.backends) {
    say(`soak: starting gemini serve (${backend})`);
    let server = await startServer(backend, context);
    info.servers.push(
      server.command.replaceAll(`${ROOT}/gemini`, "./gemini").replaceAll(`${ROOT}/`, ""),
    );
    for (const name of settings.attacks) {
      const restarted = !server.alive();
      if (restarted) {
        say(`soak: the server is down; starting it again`);
        server = await startServer(backend, context);
      }
      say(`soak: ${backend}: ${name}: ${attackNamed(name).title}`);
      const row = await measureAttack(server, name, context);
      if (restarted) row.notes.unshift("The server was started again before this attack.");
      rows.push(row);
      say(
        `soak: ${backend}: ${name}: ${row.load}; RSS ${row.startKiB >> 10} → peak ${
          row.peakKiB >> 10
        } → ${row.afterKiB >> 10} MiB; normal client ${row.probe.ok}/${row.probe.requests}, worst ${
          row.probe.worstMs.toFixed(0)
        } ms; ${verdict(row)}`,
      );
    }
    await server.stop();
  }
  info.elapsedS = (performance.now() - began) / 1000;
  const previous = await Deno.readTextFile(out).catch(() => "");
  const at = previous.indexOf(`\n${NOTES_HEADING}\n`);
  const notes = at >= 0 ? previous.slice(at + 1) : "";
  await Deno.writeTextFile(out, soakPage(info, rows, notes));
  // The page's prose and table in the repository's format, so that `make check` passes.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "--config", join(ROOT, "deno.json"), out],
    cwd: ROOT,
  }).output();
  writeAll(Deno.stdout, soakTable(rows) + "\n");
  say(`soak: wrote ${relative(Deno.cwd(), out) || out}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
