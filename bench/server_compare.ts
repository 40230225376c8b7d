/**
 * `make bench-server`: our server and Debian's molly-brown side by side in one run, on
 * loopback, with the same files (a 1 KiB page, a 1 MiB file), the same certificate type
 * (ECDSA P-256) and one TLS handshake per request. For each scenario it reports the server
 * CPU time per request (from /proc, so it stays meaningful when the load generator shares
 * the cores), req/s, p50/p99 latency, MB/s, peak RSS and errors, and the ratios against
 * molly-brown; it writes bench/RESULTS.md.
 *
 * Environment: BENCH_DURATION (seconds per scenario, default 5), BENCH_ROUNDS (rounds, each
 * figure is the median; default 1), BENCH_CONCURRENCY (default
 * "1,16,64"), BENCH_WORKERS (our worker counts to run, default "1,<nproc>"), BENCH_GEMINI
 * (command that runs gemini, default `./gemini`, e.g. a compiled binary), BENCH_RESULTS (output file,
 * default bench/RESULTS.md), BENCH_STATIC (0 to skip the static-only deno-backend run of our
 * server), BENCH_BARE (bare lib/tls backends to run as the floor, default
 * "deno,node"; empty for none), BENCH_PIN (1, the default on two or more CPUs: every server
 * runs on CPU 0 and the load generator on CPU 1, as issue 14 measures; 0: unpinned).
 *
 * @module
 */

import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatResult, type LoadOptions, type LoadResult, runLoad, sha256Hex } from "./load.ts";
import { freePort, TreeMonitor, type TreeUsage } from "./proc.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORK = join(ROOT, "bench", ".work", "server");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

function envNumber(name: string, fallback: number): number {
  const value = Number(Deno.env.get(name) ?? "");
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const NPROC = navigator.hardwareConcurrency || 1;
const DURATION_S = envNumber("BENCH_DURATION", 5);
const CONCURRENCY = (Deno.env.get("BENCH_CONCURRENCY") ?? "1,16,64").split(",").map(Number);
const WORKERS = [
  ...new Set((Deno.env.get("BENCH_WORKERS") ?? `1,${NPROC}`).split(",").map(Number)),
];
const STATIC_VARIANT = (Deno.env.get("BENCH_STATIC") ?? "1") !== "0";
const BARE = (Deno.env.get("BENCH_BARE") ?? "deno,node").split(",").filter(Boolean);
const ROUNDS = envNumber("BENCH_ROUNDS", 1);
/** Servers on CPU 0 and the load generator (this process) on CPU 1. */
const PIN = (Deno.env.get("BENCH_PIN") ?? (NPROC >= 2 ? "1" : "0")) === "1";
/** Everything from this heading on in RESULTS.md is kept when the file is rewritten. */
const ANALYSIS_HEADING = "## Analysis";
let loadAverage: number[][] = [];
const RESULTS = Deno.env.get("BENCH_RESULTS") ?? join(ROOT, "bench", "RESULTS.md");

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(encoder.encode(input));
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout).trim();
}

async function have(cmd: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Installs molly-brown with apt-get when it is missing (Debian/Ubuntu). */
async function ensureMollyBrown(): Promise<void> {
  if (await have("molly-brown")) return;
  say("molly-brown is missing: installing it with apt-get");
  const sudo = Deno.uid() === 0 ? [] : ["sudo"];
  const apt = async (args: string[]): Promise<void> => {
    const [cmd, ...rest] = [...sudo, "apt-get", ...args];
    await run(cmd, rest);
  };
  await apt(["update", "-qq"]);
  await apt(["install", "-y", "-qq", "molly-brown"]);
  if (!(await have("molly-brown"))) throw new Error("molly-brown could not be installed");
}

/** An ECDSA P-256 certificate for `cn` made by openssl; returns its paths. */
async function makeCertificate(name: string, cn: string): Promise<{ cert: string; key: string }> {
  const cert = join(WORK, `${name}.crt`);
  const key = join(WORK, `${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "30",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    `subjectAltName=DNS:${cn},IP:127.0.0.1`,
  ]);
  return { cert, key };
}

async function certSha256(certPath: string): Promise<string> {
  const out = await run("openssl", ["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"]);
  return out.split("=")[1].replaceAll(":", "").toLowerCase();
}

/** Deterministic bytes for the test files. */
function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function page(title: string, size: number): Uint8Array {
  let text = `# ${title}\n\n`;
  let n = 0;
  while (text.length < size) text += `=> /link-${n++}.gmi A link to page ${n}\n`;
  return encoder.encode(text.slice(0, size - 1) + "\n");
}

interface Fixture {
  docroot: string;
  page: Uint8Array;
  big: Uint8Array;
  privatePage: Uint8Array;
  server: { cert: string; key: string };
  client: { cert: string; key: string; sha256: string };
}

async function prepare(): Promise<Fixture> {
  await Deno.remove(WORK, { recursive: true }).catch(() => {});
  const docroot = join(WORK, "capsule");
  await Deno.mkdir(join(docroot, "private"), { recursive: true });
  const fixture = {
    docroot,
    page: page("A 1 KiB page", 1024),
    big: pseudoRandom(1024 * 1024, 1965),
    privatePage: page("Members only", 1024),
    server: await makeCertificate("server", "localhost"),
    client: { ...(await makeCertificate("client", "bench-client")), sha256: "" },
  };
  fixture.client.sha256 = await certSha256(fixture.client.cert);
  await Deno.writeFile(join(docroot, "index.gmi"), fixture.page);
  await Deno.writeFile(join(docroot, "big.bin"), fixture.big);
  await Deno.writeFile(join(docroot, "private", "index.gmi"), fixture.privatePage);
  return fixture;
}

// ---------------------------------------------------------------------------------------
// servers

interface ServerSpec {
  /** Label in the report. */
  name: string;
  /** The command line, for the report. */
  command: string[];
  /** Working directory. */
  cwd: string;
  /** Scenario ids it cannot serve. */
  skip?: string[];
}

function mollySpec(fixture: Fixture, port: number): ServerSpec {
  const config = join(WORK, "molly.conf");
  // molly-brown's TOML keys (Debian 2021 build): a certificate zone lists the SHA-256
  // fingerprints (hex) allowed under a path regex; molly always asks for client certificates.
  const toml = [
    `Port = ${port}`,
    `Hostname = "localhost"`,
    `CertPath = "${fixture.server.cert}"`,
    `KeyPath = "${fixture.server.key}"`,
    `DocBase = "${fixture.docroot}/"`,
    `AccessLog = "${join(WORK, "molly-access.log")}"`,
    `ErrorLog = "${join(WORK, "molly-error.log")}"`,
    "",
    "[CertificateZones]",
    `"^/private/" = ["${fixture.client.sha256}"]`,
    "",
  ].join("\n");
  Deno.writeTextFileSync(config, toml);
  return { name: "molly-brown", command: ["molly-brown", "-c", config], cwd: WORK };
}

function geminiCommand(): string[] {
  const custom = Deno.env.get("BENCH_GEMINI");
  if (custom) return custom.split(" ").filter(Boolean);
  // The launcher users run from a checkout; it execs Deno, so its PID is the server's.
  return [join(ROOT, "gemini")];
}

/** What the name of our server with the client-certificate location ends with. */
const FULL_LABEL = " (client-certificate location: node backend)";

/** One configuration of our server to benchmark. */
interface GeminiVariant {
  workers: number;
  /** `full`: the client-certificate location too (node backend); `static`: deno backend. */
  kind: "full" | "static";
}

function geminiSpec(fixture: Fixture, port: number, variant: GeminiVariant): ServerSpec {
  const config = join(WORK, `gemini-${variant.kind}-${variant.workers}.toml`);
  Deno.writeTextFileSync(config, geminiConfig(fixture, port, variant));
  const label = variant.kind === "static" ? ", static only (default backend: deno)" : FULL_LABEL;
  return {
    name: `gemini serve --workers ${variant.workers}${label}`,
    command: [...geminiCommand(), "serve", "--config", config],
    cwd: WORK,
    skip: variant.kind === "static" ? ["clientcert-c16"] : [],
  };
}

/**
 * Our server's configuration: the same capsule and certificate, no rate limit or ban (the
 * generator is one IP), caps above the concurrency; `full` adds a location that requires a
 * client certificate, which makes the server ask every client for one (as molly-brown
 * always does) and so use the node backend. Neither sets `backend`: the default ("auto")
 * picks deno for `static` and node for `full`.
 */
function geminiConfig(fixture: Fixture, port: number, variant: GeminiVariant): string {
  const lines = [
    `listen = ["127.0.0.1:${port}"]`,
    `workers = ${variant.workers}`,
    "",
    "[limits]",
    "rate = false",
    "ban = false",
    "max_connections_per_ip = 4096",
    "max_connections = 4096",
    "",
    "[[host]]",
    `name = "localhost"`,
    `root = "${fixture.docroot}"`,
    `cert = "${fixture.server.cert}"`,
    `key = "${fixture.server.key}"`,
    "",
  ];
  if (variant.kind === "full") {
    lines.push("[[host.location]]", `path = "/private/"`, "require_client_certificate = true", "");
  }
  return lines.join("\n");
}

/** The floor: a bare lib/tls accept loop (bench/bare_server.ts) on one backend. */
function bareSpec(fixture: Fixture, port: number, backend: string): ServerSpec {
  return {
    name: `bare lib/tls listen (${backend})`,
    command: [
      Deno.execPath(),
      "run",
      "--quiet",
      "--allow-all",
      join(ROOT, "bench", "bare_server.ts"),
      "--port",
      String(port),
      "--cert",
      fixture.server.cert,
      "--key",
      fixture.server.key,
      "--root",
      fixture.docroot,
      "--backend",
      backend,
      ...(backend === "node" ? ["--client-certificates"] : []),
    ],
    cwd: WORK,
    // Deno.listenTls cannot ask for client certificates.
    skip: backend === "deno" ? ["clientcert-c16"] : [],
  };
}

interface Running {
  spec: ServerSpec;
  child: Deno.ChildProcess;
  log: string;
}

async function waitForTls(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
}

async function start(spec: ServerSpec, port: number): Promise<Running> {
  const log = join(WORK, `${spec.name.replace(/[^a-z0-9]+/gi, "-")}.log`);
  const file = await Deno.open(log, { write: true, create: true, truncate: true });
  const [cmd, ...args] = PIN ? ["taskset", "-c", "0", ...spec.command] : spec.command;
  const child = new Deno.Command(cmd, {
    args,
    cwd: spec.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Keep the pipes drained into the log so the server never blocks on them.
  const copy = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    for await (const chunk of stream) await file.write(chunk);
  };
  copy(child.stdout).catch(() => {});
  copy(child.stderr).catch(() => {});
  try {
    await waitForTls(port, 15_000);
  } catch (error) {
    await stop({ spec, child, log });
    throw new Error(`${spec.name} did not start (see ${log})`, { cause: error });
  }
  return { spec, child, log };
}

async function stop(server: Running): Promise<void> {
  try {
    server.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const exited = await Promise.race([
    server.child.status.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  if (!exited) {
    try {
      server.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await server.child.status;
  }
}

// ---------------------------------------------------------------------------------------
// scenarios

interface Scenario {
  id: string;
  label: string;
  path: string;
  concurrency: number;
  body: Uint8Array;
  clientCertificate: boolean;
}

function scenarios(fixture: Fixture): Scenario[] {
  const list: Scenario[] = CONCURRENCY.map((c) => ({
    id: `page-c${c}`,
    label: `1 KiB page, c=${c}`,
    path: "/index.gmi",
    concurrency: c,
    body: fixture.page,
    clientCertificate: false,
  }));
  list.push({
    id: "big-c16",
    label: "1 MiB file, c=16",
    path: "/big.bin",
    concurrency: 16,
    body: fixture.big,
    clientCertificate: false,
  });
  list.push({
    id: "clientcert-c16",
    label: "1 KiB page behind a client certificate, c=16",
    path: "/private/index.gmi",
    concurrency: 16,
    body: fixture.privatePage,
    clientCertificate: true,
  });
  return list;
}

interface Measurement {
  server: string;
  scenario: Scenario;
  load: LoadResult;
  usage: TreeUsage;
  cpuPerRequestMicros: number;
}

async function measure(
  server: Running,
  port: number,
  scenario: Scenario,
  fixture: Fixture,
): Promise<Measurement> {
  const options: LoadOptions = {
    url: `gemini://localhost:${port}${scenario.path}`,
    connectHost: "127.0.0.1",
    concurrency: scenario.concurrency,
    durationMs: DURATION_S * 1000,
    timeoutMs: 30_000,
    expect: {
      status: "20",
      bodyLength: scenario.body.length,
      bodySha256: sha256Hex(scenario.body),
    },
    clientCertificate: scenario.clientCertificate
      ? {
        cert: await Deno.readTextFile(fixture.client.cert),
        key: await Deno.readTextFile(fixture.client.key),
      }
      : undefined,
  };
  const monitor = new TreeMonitor(server.child.pid);
  monitor.start();
  const load = await runLoad(options);
  // Let the server finish closing the last connections before the final reading.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const usage = monitor.stop();
  const cpuPerRequestMicros = load.ok > 0 ? usage.cpuMicros / load.ok : 0;
  say(
    `  ${server.spec.name}, ${scenario.label}: ${formatResult(load)}; server CPU ${
      cpuPerRequestMicros.toFixed(0)
    } µs/req, peak RSS ${(usage.peakRssKiB / 1024).toFixed(1)} MiB`,
  );
  return { server: server.spec.name, scenario, load, usage, cpuPerRequestMicros };
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The median of each figure over rounds of the same server and scenario. */
function median(rounds: Measurement[]): Measurement {
  if (rounds.length === 1) return rounds[0];
  const errors: Record<string, number> = {};
  for (const m of rounds) {
    for (const [k, n] of Object.entries(m.load.errors)) errors[k] = (errors[k] ?? 0) + n;
  }
  const pick = (f: (m: Measurement) => number): number => middle(rounds.map(f));
  const first = rounds[0];
  return {
    server: first.server,
    scenario: first.scenario,
    cpuPerRequestMicros: pick((m) => m.cpuPerRequestMicros),
    usage: {
      cpuMicros: pick((m) => m.usage.cpuMicros),
      peakRssKiB: Math.max(...rounds.map((m) => m.usage.peakRssKiB)),
      hwmKiB: Math.max(...rounds.map((m) => m.usage.hwmKiB)),
      processes: first.usage.processes,
    },
    load: {
      ...first.load,
      requests: rounds.reduce((n, m) => n + m.load.requests, 0),
      ok: rounds.reduce((n, m) => n + m.load.ok, 0),
      errors,
      reqPerSec: pick((m) => m.load.reqPerSec),
      p50Ms: pick((m) => m.load.p50Ms),
      p99Ms: pick((m) => m.load.p99Ms),
      mbPerSec: pick((m) => m.load.mbPerSec),
    },
  };
}

async function warmUp(port: number, fixture: Fixture): Promise<void> {
  await runLoad({
    url: `gemini://localhost:${port}/index.gmi`,
    connectHost: "127.0.0.1",
    concurrency: 4,
    durationMs: 1000,
    maxRequests: 400,
    expect: { status: "20", bodyLength: fixture.page.length },
  });
}

// ---------------------------------------------------------------------------------------
// report

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}

function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "n/a";
}

async function versions(): Promise<Record<string, string>> {
  const get = async (cmd: string, args: string[]): Promise<string> => {
    try {
      return (await run(cmd, args)).split("\n")[0];
    } catch {
      return "unknown";
    }
  };
  return {
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    "molly-brown": await get("dpkg-query", ["-W", "-f=${Version}", "molly-brown"]),
    openssl: await get("openssl", ["version"]),
    kernel: await get("uname", ["-sr"]),
    gemini: JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).version,
    commit: await get("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
  };
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

function report(
  measurements: Measurement[],
  specs: ServerSpec[],
  v: Record<string, string>,
  started: Date,
): string {
  const molly = (id: string): Measurement | undefined =>
    measurements.find((m) => m.server === "molly-brown" && m.scenario.id === id);
  const lines: string[] = [];
  lines.push("# Server benchmark");
  lines.push("");
  lines.push(
    "Written by `make bench-server` (bench/server_compare.ts). Each request is a new TLS " +
      "connection (ECDSA P-256 certificate, full handshake, no session resumption) on " +
      "loopback; the load generator (bench/load.ts) runs on the same machine and checks every " +
      "response's status, length and SHA-256. **Server CPU per request** is the CPU time of " +
      "the server's process tree (utime + stime from /proc) divided by the successful " +
      "requests: it stays meaningful when the generator and the server share the cores, " +
      "unlike req/s.",
  );
  lines.push("");
  lines.push("## Machine and versions");
  lines.push("");
  lines.push(`- Run: ${started.toISOString()}`);
  lines.push(`- CPU: ${cpuModel()}, ${NPROC} logical CPUs (nproc)`);
  for (const [k, value] of Object.entries(v)) lines.push(`- ${k}: ${value}`);
  lines.push(`- Duration per scenario: ${DURATION_S} s, rounds: ${ROUNDS} (figures are medians)`);
  lines.push(
    PIN
      ? "- Pinned (BENCH_PIN=1): every server on CPU 0, the load generator on CPU 1"
      : "- Not pinned (BENCH_PIN=0): servers and load generator share the CPUs",
  );
  if (loadAverage.length === 2) {
    lines.push(
      `- Load average (1, 5, 15 min) at start: ${
        loadAverage[0].map((x) => x.toFixed(2)).join(", ")
      }; ` +
        `at end: ${loadAverage[1].map((x) => x.toFixed(2)).join(", ")}`,
    );
  }
  lines.push("");
  lines.push("## Commands");
  lines.push("");
  lines.push("```sh");
  lines.push(
    `BENCH_DURATION=${DURATION_S} BENCH_ROUNDS=${ROUNDS} BENCH_CONCURRENCY=${
      CONCURRENCY.join(",")
    } ` +
      `BENCH_WORKERS=${WORKERS.join(",")} BENCH_PIN=${PIN ? 1 : 0} make bench-server`,
  );
  for (const s of specs) {
    lines.push(
      s.command.join(" ").replaceAll(Deno.execPath(), "deno").replaceAll(ROOT + "/", ""),
    );
  }
  lines.push("```");
  lines.push("");
  lines.push("## Results");
  lines.push("");
  lines.push(
    "| Scenario | Server | CPU µs/req | vs molly | req/s | p50 ms | p99 ms | MB/s | vs molly | peak RSS MiB | errors |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const m of measurements) {
    const base = molly(m.scenario.id);
    const errors = Object.entries(m.load.errors).map(([k, n]) => `${k} ${n}`).join(", ") ||
      "0";
    const isBase = m.server === "molly-brown";
    lines.push(
      `| ${m.scenario.label} | ${m.server} | ${fmt(m.cpuPerRequestMicros)} | ${
        isBase || !base ? "" : ratio(m.cpuPerRequestMicros, base.cpuPerRequestMicros)
      } | ${fmt(m.load.reqPerSec, 1)} | ${fmt(m.load.p50Ms, 2)} | ${fmt(m.load.p99Ms, 2)} | ${
        fmt(m.load.mbPerSec, 2)
      } | ${isBase || !base ? "" : ratio(m.load.mbPerSec, base.load.mbPerSec)} | ${
        fmt(m.usage.peakRssKiB / 1024, 1)
      } | ${errors} |`,
    );
  }
  lines.push("");
  lines.push("## Targets (issue #14)");
  lines.push("");
  const ours = measurements.filter((m) => m.server.startsWith("gemini"));
  const best = (
    id: string,
    pick: (m: Measurement) => number,
    low: boolean,
  ): Measurement | undefined =>
    ours.filter((m) => m.scenario.id === id).sort((a, b) =>
      low ? pick(a) - pick(b) : pick(b) - pick(a)
    )[0];
  const check = (ok: boolean | undefined): string =>
    ok === undefined ? "not measured" : ok ? "met" : "**missed**";
  const cpuTarget = (id: string, limit: number, what: string): void => {
    const m = best(id, (x) => x.cpuPerRequestMicros, true);
    const base = molly(id);
    const r = m && base ? m.cpuPerRequestMicros / base.cpuPerRequestMicros : undefined;
    lines.push(
      `- ${what}: CPU per request ≤ ${limit}× molly-brown's: ${
        r === undefined ? "n/a" : r.toFixed(2) + "×"
      } (${m?.server ?? "n/a"}) — ${check(r === undefined ? undefined : r <= limit)}`,
    );
  };
  for (const c of CONCURRENCY) cpuTarget(`page-c${c}`, 0.8, `Static 1 KiB page, c=${c}`);
  {
    const m = best("big-c16", (x) => x.load.mbPerSec, false);
    const base = molly("big-c16");
    const r = m && base ? m.load.mbPerSec / base.load.mbPerSec : undefined;
    lines.push(
      `- 1 MiB bodies at c=16: MB/s ≥ 1.0× molly-brown's: ${
        r === undefined ? "n/a" : r.toFixed(2) + "×"
      } (${m?.server ?? "n/a"}) — ${check(r === undefined ? undefined : r >= 1.0)}`,
    );
  }
  {
    // Reported, no target: the node backend (node:tls in Deno) is the only one that can ask
    // for client certificates.
    const m = best("clientcert-c16", (x) => x.cpuPerRequestMicros, true);
    const base = molly("clientcert-c16");
    lines.push(
      `- Location requesting client certificates, c=16 (reported): ${
        m && base ? ratio(m.cpuPerRequestMicros, base.cpuPerRequestMicros) : "n/a"
      } molly-brown's CPU per request (${m?.server ?? "n/a"})`,
    );
  }
  const top = Math.max(...CONCURRENCY);
  for (const m of ours.filter((x) => x.scenario.id === `page-c${top}`)) {
    const base = molly(`page-c${top}`);
    const rss = m.usage.peakRssKiB / 1024;
    lines.push(
      `- Peak RSS at c=${top} ≤ 120 MiB (${m.server}): ${fmt(rss, 1)} MiB — ${check(rss <= 120)}`,
    );
    if (base) {
      lines.push(
        `- p99 at c=${top} ≤ molly-brown's (${m.server}): ${fmt(m.load.p99Ms, 2)} ms vs ${
          fmt(base.load.p99Ms, 2)
        } ms — ${check(m.load.p99Ms <= base.load.p99Ms)}`,
      );
    }
  }
  const failed = ours.reduce((n, m) => n + (m.load.requests - m.load.ok), 0);
  lines.push(
    `- Zero errors (our server, all scenarios): ${failed} failed requests — ${check(failed === 0)}`,
  );
  const one = ours.find((m) =>
    m.server === `gemini serve --workers 1${FULL_LABEL}` && m.scenario.id === `page-c${top}`
  );
  const many = ours.filter((m) =>
    m.server.endsWith(FULL_LABEL) && m.server !== `gemini serve --workers 1${FULL_LABEL}` &&
    m.scenario.id === `page-c${top}`
  );
  for (const m of many) {
    if (one) {
      lines.push(
        `- Scaling, 1 KiB page at c=${top}: ${m.server} serves ${
          ratio(m.load.reqPerSec, one.load.reqPerSec)
        } ` +
          `the req/s of one worker (${fmt(m.load.reqPerSec, 1)} vs ${
            fmt(one.load.reqPerSec, 1)
          }) ` +
          `at ${fmt(m.cpuPerRequestMicros)} vs ${fmt(one.cpuPerRequestMicros)} µs CPU/req`,
      );
    }
  }
  lines.push("");
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = new Date();
  if (PIN) {
    // Every thread of this process (the load generator) to CPU 1; the servers start on 0.
    const pinned = new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", "1", String(Deno.pid)],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!pinned.success) throw new Error(`taskset: ${decoder.decode(pinned.stderr)}`);
  }
  await ensureMollyBrown();
  say(`preparing ${WORK}`);
  const fixture = await prepare();
  const measurements: Measurement[] = [];
  const specs: ServerSpec[] = [];
  const runs: { make: (port: number) => ServerSpec }[] = [
    { make: (port) => mollySpec(fixture, port) },
    ...WORKERS.map((workers) => ({
      make: (port: number) => geminiSpec(fixture, port, { workers, kind: "full" }),
    })),
    ...(STATIC_VARIANT
      ? [{ make: (port: number) => geminiSpec(fixture, port, { workers: 1, kind: "static" }) }]
      : []),
    ...BARE.map((b) => ({ make: (port: number) => bareSpec(fixture, port, b) })),
  ];
  // All servers run at once (idle ones cost nothing) and the scenarios go round-robin over
  // them, so that noise from other work on the machine falls on every server alike; each
  // figure is the median over BENCH_ROUNDS rounds.
  const running: { server: Running; port: number }[] = [];
  const load = Deno.loadavg();
  try {
    for (const entry of runs) {
      const port = freePort();
      const spec = entry.make(port);
      specs.push(spec);
      say(`starting ${spec.name} on 127.0.0.1:${port}`);
      const server = await start(spec, port);
      running.push({ server, port });
      await warmUp(port, fixture);
    }
    const rounds: Measurement[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      say(`round ${round} of ${ROUNDS}`);
      const results: Measurement[] = [];
      for (const scenario of scenarios(fixture)) {
        for (const { server, port } of running) {
          if (server.spec.skip?.includes(scenario.id)) continue;
          results.push(await measure(server, port, scenario, fixture));
        }
      }
      rounds.push(results);
    }
    measurements.push(...rounds[0].map((_, i) => median(rounds.map((r) => r[i]))));
  } finally {
    for (const { server } of running) await stop(server);
  }
  loadAverage = [load, Deno.loadavg()];
  let text = report(measurements, specs, await versions(), started);
  // The written analysis (profiles, findings) survives reruns.
  const previous = await Deno.readTextFile(RESULTS).catch(() => "");
  const kept = previous.indexOf(ANALYSIS_HEADING);
  if (kept >= 0) text += "\n" + previous.slice(kept);
  await Deno.writeTextFile(RESULTS, text);
  // The repository's format check covers Markdown: pad the tables the way deno fmt does.
  await run(Deno.execPath(), ["fmt", "--quiet", RESULTS]).catch(() => {});
  await Deno.writeTextFile(
    join(WORK, "results.json"),
    JSON.stringify(
      measurements.map((m) => ({ ...m, scenario: { ...m.scenario, body: undefined } })),
      null,
      2,
    ),
  );
  say(`wrote ${RESULTS}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
