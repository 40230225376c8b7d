/**
 * The attacks of the soak benchmark, each bounded in count and in time, against a server on
 * loopback. Connections come from loopback source addresses (127.0.0.0/8), a block per
 * attack, so that one machine looks like many clients (or, for the refused flood, one
 * client) to the server's per-address limits; the probe has a block of its own
 * (127.200.0.0/16) that no attack uses.
 *
 * - `connect-flood`: TCP connect, then close at once, from 4,096 addresses, 32 at a time
 * - `hello-flood`: a real ClientHello (captured from node:tls), then close, 4,096 addresses
 * - `tls11-flood`: a ClientHello offering only TLS 1.1, wait for the refusal, 4,096 addresses
 * - `refused-flood`: TCP connect, then close at once, from one address, 16 at a time
 * - `idle-tcp`: 1,000 TCP connections (one per address) that send nothing, held, then closed
 * - `idle-tls`: 1,000 TLS connections, handshake done, no request, held, then closed
 * - `pusher`: 2 clients that send a request line, then keep writing (1 GiB at most), never read
 * - `fuzz`: 100,000 fuzzed request lines (fuzz.ts), one per TLS connection, 32 at a time
 *
 * Durations and counts are multiplied by the scale (`SOAK_SCALE`), with a floor.
 *
 * @module
 */

import type net from "node:net";
import type tls from "node:tls";
import { captureClientHello, tls11ClientHello } from "./hello.ts";
import { RequestFuzzer } from "./fuzz.ts";
import { AddressPool, connectFrom, pause, readAnswer, type Target, tlsFrom } from "./sockets.ts";

/** What an attack is given. */
export interface AttackContext {
  /** The server. */
  target: Target;
  /** Multiplier of durations and counts (1 = the full soak). */
  scale: number;
}

/** What an attack did. */
export interface AttackResult {
  /** The attack's name. */
  name: string;
  /** From its start to its last socket closed, ms. */
  elapsedMs: number;
  /** Outcomes counted by kind (e.g. `connected`, `ECONNRESET`, `status 59`). */
  counts: Record<string, number>;
  /** What was sent, in a few words (for the table). */
  load: string;
  /** What was sent and what came back, in one line (for the details). */
  summary: string;
}

/** One attack. */
export interface Attack {
  /** Name used in `SOAK_ATTACKS` and in the report. */
  name: string;
  /** What it does, for the report. */
  title: string;
  /** Runs it to the end (bounded by its own count and time). */
  run(context: AttackContext): Promise<AttackResult>;
}

/** The full soak's duration of a flood, ms. */
export const FLOOD_MS = 15_000;
/** The full soak's time the idle connections are held, ms. */
export const HOLD_MS = 15_000;
/** The full soak's count of idle connections. */
export const IDLE_COUNT = 1_000;
/** The most the pushers send in the full soak, bytes (a server that buffers it all shows). */
export const PUSH_MAX_BYTES = 1024 * 1_048_576;
/** The full soak's count of fuzzed request lines. */
export const FUZZ_COUNT = 100_000;
/** The longest the fuzz may run in the full soak, ms. */
export const FUZZ_MAX_MS = 300_000;

/** `fullMs` scaled, at least one second. */
export function scaledMs(fullMs: number, scale: number): number {
  return Math.max(1_000, Math.round(fullMs * scale));
}

/** `full` scaled, at least `floor`. */
export function scaledCount(full: number, scale: number, floor = 10): number {
  return Math.max(floor, Math.round(full * scale));
}

function errorKind(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code) return code;
  const message = (error as Error).message ?? String(error);
  if (/timed out/.test(message)) return "timeout";
  if (/closed in handshake/.test(message)) return "closed in handshake";
  return message.slice(0, 60);
}

/** Adds one to `counts[key]`. */
function tally(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** A readable count: 12345 → "12,345". */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Bounds of a {@linkcode flood}. */
export interface FloodOptions {
  /** Parallel loops. */
  concurrency: number;
  /** No run starts after this, ms. */
  durationMs: number;
  /** Runs started at most. */
  maxCount: number;
  /** No run starts once this returns true. */
  until?: () => boolean;
}

/**
 * Runs `once` from `concurrency` loops until `maxCount` runs have started, `durationMs`
 * has passed or `until()` is true, and counts the outcomes it returns (a thrown error
 * counts by its code).
 */
export async function flood(
  options: FloodOptions,
  once: (index: number) => Promise<string>,
): Promise<{ counts: Record<string, number>; total: number; elapsedMs: number }> {
  const counts: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (
      next < options.maxCount && performance.now() < deadline && !options.until?.()
    ) {
      const index = next++;
      try {
        tally(counts, await once(index));
      } catch (error) {
        tally(counts, errorKind(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return { counts, total: next, elapsedMs: performance.now() - started };
}

/** Writes `bytes` and resolves once they are handed to the kernel (or the socket failed). */
function writeAll(socket: net.Socket | tls.TLSSocket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.write(bytes, () => resolve());
    socket.once("close", () => resolve());
  });
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${thousands(n)}`)
    .join(", ");
}

function floodResult(
  name: string,
  r: { counts: Record<string, number>; total: number; elapsedMs: number },
  what: string,
): AttackResult {
  return {
    name,
    elapsedMs: r.elapsedMs,
    counts: r.counts,
    load: `${thousands(r.total)} ${what}`,
    summary: `${thousands(r.total)} ${what} in ${(r.elapsedMs / 1000).toFixed(1)} s (${
      describe(r.counts)
    })`,
  };
}

const connectFlood: Attack = {
  name: "connect-flood",
  title: "TCP connect then close, 4,096 source addresses, c=32",
  async run({ target, scale }): Promise<AttackResult> {
    const pool = new AddressPool(1, 4096);
    const r = await flood(
      { concurrency: 32, durationMs: scaledMs(FLOOD_MS, scale), maxCount: 1_000_000 },
      async () => {
        const socket = await connectFrom(target, pool.next());
        socket.destroy();
        return "connected";
      },
    );
    return floodResult(this.name, r, "connections");
  },
};

const helloFlood: Attack = {
  name: "hello-flood",
  title: "a real TLS ClientHello, then close, 4,096 source addresses, c=32",
  async run({ target, scale }): Promise<AttackResult> {
    const pool = new AddressPool(2, 4096);
    const hello = await captureClientHello(target.servername);
    const r = await flood(
      { concurrency: 32, durationMs: scaledMs(FLOOD_MS, scale), maxCount: 1_000_000 },
      async () => {
        const socket = await connectFrom(target, pool.next());
        await writeAll(socket, hello);
        socket.destroy();
        return "hello sent";
      },
    );
    return floodResult(this.name, r, "ClientHellos");
  },
};

const tls11Flood: Attack = {
  name: "tls11-flood",
  title: "a ClientHello offering only TLS 1.1, read the refusal, 4,096 addresses, c=32",
  async run({ target, scale }): Promise<AttackResult> {
    const pool = new AddressPool(3, 4096);
    const r = await flood(
      { concurrency: 32, durationMs: scaledMs(FLOOD_MS, scale), maxCount: 1_000_000 },
      async () => {
        const socket = await connectFrom(target, pool.next());
        socket.write(tls11ClientHello(target.servername));
        const answer = await readAnswer(socket, 2_000, 16_384);
        if (!answer.ended) return "no refusal in 2 s";
        if (answer.bytes.length === 0) return "closed";
        return answer.bytes[0] === 21 ? "alert" : `answered (record type ${answer.bytes[0]})`;
      },
    );
    return floodResult(this.name, r, "TLS 1.1 hellos");
  },
};

const refusedFlood: Attack = {
  name: "refused-flood",
  title: "TCP connect then close from one address, c=16",
  async run({ target, scale }): Promise<AttackResult> {
    const from = new AddressPool(4, 1).at(0);
    const r = await flood(
      { concurrency: 16, durationMs: scaledMs(FLOOD_MS, scale), maxCount: 1_000_000 },
      async () => {
        const socket = await connectFrom(target, from);
        socket.destroy();
        return "connected";
      },
    );
    return floodResult(this.name, r, "connections");
  },
};

/**
 * Opens `count` connections with `open` (50 at a time, one source address each), holds
 * them for `holdMs`, counts those the server closed meanwhile, then closes the rest.
 */
async function holdIdle(
  name: string,
  count: number,
  holdMs: number,
  open: (from: string) => Promise<net.Socket | tls.TLSSocket>,
  pool: AddressPool,
): Promise<AttackResult> {
  const started = performance.now();
  const sockets: (net.Socket | tls.TLSSocket)[] = [];
  let closedByServer = 0;
  const opened = await flood(
    { concurrency: 50, durationMs: 60_000, maxCount: count },
    async (i) => {
      const socket = await open(pool.at(i));
      sockets.push(socket);
      socket.once("close", () => closedByServer++);
      socket.on("data", () => {}); // read (and drop) whatever the server sends
      return "opened";
    },
  );
  const heldAt = performance.now();
  await pause(holdMs);
  const closedDuringHold = closedByServer;
  for (const s of sockets) {
    s.removeAllListeners("close");
    s.destroy();
  }
  const counts = { ...opened.counts, "closed by the server while held": closedDuringHold };
  return {
    name,
    elapsedMs: performance.now() - started,
    counts,
    load: `${thousands(opened.counts.opened ?? 0)} held ${(holdMs / 1000).toFixed(0)} s`,
    summary: `${thousands(opened.counts.opened ?? 0)} of ${thousands(count)} opened in ${
      ((heldAt - started) / 1000).toFixed(1)
    } s, held ${(holdMs / 1000).toFixed(0)} s (${describe(counts)})`,
  };
}

const idleTcp: Attack = {
  name: "idle-tcp",
  title: "1,000 TCP connections that send nothing, one per address, held, then closed",
  run({ target, scale }): Promise<AttackResult> {
    return holdIdle(
      this.name,
      scaledCount(IDLE_COUNT, scale),
      scaledMs(HOLD_MS, scale),
      (from) => connectFrom(target, from),
      new AddressPool(5, IDLE_COUNT),
    );
  },
};

const idleTls: Attack = {
  name: "idle-tls",
  title: "1,000 TLS connections, handshake done, no request, held, then closed",
  run({ target, scale }): Promise<AttackResult> {
    return holdIdle(
      this.name,
      scaledCount(IDLE_COUNT, scale),
      scaledMs(HOLD_MS, scale),
      (from) => tlsFrom(target, from, 10_000),
      new AddressPool(6, IDLE_COUNT),
    );
  },
};

const CHUNK = new Uint8Array(65_536).fill(0x61);

const pusher: Attack = {
  name: "pusher",
  title: "2 clients: request line, then writing (at most 1 GiB in all), never reading",
  async run({ target, scale }): Promise<AttackResult> {
    const pool = new AddressPool(7, 16);
    const durationMs = scaledMs(FLOOD_MS, scale);
    const deadline = performance.now() + durationMs;
    const maxBytes = Math.max(64 * 1_048_576, Math.round(PUSH_MAX_BYTES * scale));
    let pushed = 0;
    let writes = 0;
    const bounds = {
      concurrency: 2,
      durationMs,
      maxCount: 10_000,
      until: () => pushed >= maxBytes,
    };
    const r = await flood(bounds, async () => {
      const socket = await tlsFrom(target, pool.next());
      socket.pause(); // never read
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(`gemini://${target.servername}:${target.port}/\r\n`);
      let open = true;
      closed.then(() => (open = false));
      const sent = (error?: Error | null): void => {
        if (!error) pushed += CHUNK.length;
      };
      while (open && performance.now() < deadline && pushed < maxBytes) {
        // Count what the TLS layer took (the write callback), not what waits in its buffer.
        if (socket.write(CHUNK, sent)) {
          // Yield to the event loop now and then so that close events are seen.
          if (++writes % 16 === 0) await pause(0);
          continue;
        }
        const left = deadline - performance.now();
        await Promise.race([
          new Promise<void>((resolve) => socket.once("drain", () => resolve())),
          closed,
          pause(Math.max(1, left)),
        ]);
      }
      const endedByServer = !open;
      socket.destroy();
      if (endedByServer) return "ended by the server";
      return pushed >= maxBytes ? "open when the byte cap was reached" : "open at the end";
    });
    return {
      name: this.name,
      elapsedMs: r.elapsedMs,
      counts: { ...r.counts, "MiB sent": Math.round(pushed / 1_048_576) },
      load: `${thousands(pushed / 1_048_576)} MiB sent`,
      summary: `${thousands(pushed / 1_048_576)} MiB sent on ${thousands(r.total)} connections in ${
        (r.elapsedMs / 1000).toFixed(1)
      } s (${describe(r.counts)})`,
    };
  },
};

const decoder = new TextDecoder();

const fuzz: Attack = {
  name: "fuzz",
  title: "100,000 fuzzed request lines (seeded), one per TLS connection, c=32",
  async run({ target, scale }): Promise<AttackResult> {
    const pool = new AddressPool(8, 16_384);
    const fuzzer = new RequestFuzzer(1965, target.servername, target.port);
    const count = scaledCount(FUZZ_COUNT, scale, 100);
    const r = await flood(
      { concurrency: 32, durationMs: scaledMs(FUZZ_MAX_MS, scale), maxCount: count },
      async () => {
        const request = fuzzer.next();
        const socket = await tlsFrom(target, pool.next(), 10_000);
        socket.write(request.bytes);
        if (request.halfClose) socket.end();
        const answer = await readAnswer(socket, 12_000, 4_096);
        const head = decoder.decode(answer.bytes.subarray(0, 3));
        if (/^\d\d[ \r]/.test(head)) return `status ${head.slice(0, 2)}`;
        if (answer.bytes.length > 0) return "malformed answer";
        return answer.ended ? "closed without answer" : "no answer in 12 s";
      },
    );
    const result = floodResult(this.name, r, `of ${thousands(count)} fuzzed lines`);
    return { ...result, load: `${thousands(r.total)} lines` };
  },
};

/** Every attack, in the order the soak runs them. */
export const ATTACKS: readonly Attack[] = [
  connectFlood,
  helloFlood,
  tls11Flood,
  refusedFlood,
  idleTcp,
  idleTls,
  pusher,
  fuzz,
];

/** The attack called `name`, or a TypeError naming the known ones. */
export function attackNamed(name: string): Attack {
  const found = ATTACKS.find((a) => a.name === name);
  if (!found) {
    throw new TypeError(
      `Unknown attack "${name}"; known: ${ATTACKS.map((a) => a.name).join(", ")}`,
    );
  }
  return found;
}
