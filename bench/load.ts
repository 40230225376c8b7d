/**
 * A Gemini load generator: a new TLS connection for every request, as the protocol
 * requires, from `concurrency` parallel loops for a bounded time and/or request count.
 * Every response is checked (status, and the body's length and SHA-256 when an expected
 * body is given); failures are counted by kind. Reports req/s, latency percentiles and
 * body throughput.
 *
 *     deno run -A bench/load.ts --url gemini://localhost:1965/ --concurrency 16 \
 *       --duration 10 [--requests N] [--expect-file page.gmi] [--cert c.pem --key k.pem] [--json]
 *
 * @module
 */

import tls from "node:tls";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

/** What every response must be. */
export interface Expectation {
  /** Two-digit status. Default "20". */
  status?: string;
  /** Exact meta, when it must match. */
  meta?: string;
  /** Body length in bytes. */
  bodyLength?: number;
  /** SHA-256 of the body, hex. */
  bodySha256?: string;
}

/** Options for {@linkcode runLoad}. */
export interface LoadOptions {
  /** The URL requested (also the source of host, port and SNI name). */
  url: string;
  /** Address to connect to instead of the URL's host (e.g. 127.0.0.1). */
  connectHost?: string;
  /** Parallel request loops. Default 1. */
  concurrency?: number;
  /** How long to keep starting requests, ms. Default 10000. */
  durationMs?: number;
  /** Stop after this many requests. Default unlimited. */
  maxRequests?: number;
  /** Deadline for one request, ms. Default 10000. */
  timeoutMs?: number;
  /** What every response must be. Default: status 20, anything else unchecked. */
  expect?: Expectation;
  /** Client certificate and key (PEM) to present. */
  clientCertificate?: { cert: string; key: string };
}

/** The outcome of a load run. */
export interface LoadResult {
  /** Requests finished (successful or not). */
  requests: number;
  /** Requests that passed every check. */
  ok: number;
  /** Failed requests by kind (`connect`, `tls`, `timeout`, `status`, `body`, ...). */
  errors: Record<string, number>;
  /** Wall time from the first request to the last answer, ms. */
  elapsedMs: number;
  /** Successful requests per second. */
  reqPerSec: number;
  /** Median latency (connect to close) of successful requests, ms. */
  p50Ms: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Body bytes of successful requests. */
  bodyBytes: number;
  /** Body throughput, 10^6 bytes per second. */
  mbPerSec: number;
  /** The first response header seen (for the report). */
  firstHeader: string;
  /** One example message per error kind. */
  errorExamples: Record<string, string>;
}

type Outcome =
  | { ok: true; ms: number; bodyBytes: number; header: string }
  | { ok: false; ms: number; kind: string; message: string };

const MAX_HEADER = 1029 + 2;

function classify(error: Error & { code?: string }): string {
  const code = error.code ?? "";
  if (code === "ECONNREFUSED") return "connect-refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "reset";
  if (
    code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") ||
    /ssl|tls|handshake/i.test(error.message)
  ) {
    return "tls";
  }
  return code ? `net-${code}` : "other";
}

function requestOnce(
  target: { host: string; port: number; servername: string; line: string },
  options: LoadOptions,
): Promise<Outcome> {
  const expect = options.expect ?? {};
  const wantStatus = expect.status ?? "20";
  const start = performance.now();
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let header: string | undefined;
    let headBuf = new Uint8Array(0);
    let bodyBytes = 0;
    const hash = expect.bodySha256 ? createHash("sha256") : undefined;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const fail = (kind: string, message: string): void =>
      finish({ ok: false, kind, message, ms: performance.now() - start });
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      servername: target.servername,
      rejectUnauthorized: false,
      cert: options.clientCertificate?.cert,
      key: options.clientCertificate?.key,
    });
    const timer = setTimeout(
      () => fail("timeout", `no complete answer within ${options.timeoutMs ?? 10000} ms`),
      options.timeoutMs ?? 10_000,
    );
    socket.on("secureConnect", () => socket.write(target.line));
    socket.on("data", (chunk: Uint8Array) => {
      if (header === undefined) {
        const joined = new Uint8Array(headBuf.length + chunk.length);
        joined.set(headBuf);
        joined.set(chunk, headBuf.length);
        const lf = joined.indexOf(0x0a);
        if (lf < 0) {
          if (joined.length > MAX_HEADER) fail("header", "response header longer than 1029 bytes");
          headBuf = joined;
          return;
        }
        header = new TextDecoder().decode(joined.subarray(0, lf)).replace(/\r$/, "");
        chunk = joined.subarray(lf + 1);
        const status = header.slice(0, 2);
        const meta = header.slice(3);
        if (status !== wantStatus) {
          return fail("status", `expected ${wantStatus}, got ${JSON.stringify(header)}`);
        }
        if (expect.meta !== undefined && meta !== expect.meta) {
          return fail(
            "meta",
            `expected meta ${JSON.stringify(expect.meta)}, got ${JSON.stringify(meta)}`,
          );
        }
      }
      bodyBytes += chunk.length;
      hash?.update(chunk);
    });
    const done = (): void => {
      if (settled) return;
      if (header === undefined) {
        return fail("no-header", "connection closed before a response header");
      }
      if (expect.bodyLength !== undefined && bodyBytes !== expect.bodyLength) {
        return fail("body", `expected ${expect.bodyLength} body bytes, got ${bodyBytes}`);
      }
      if (hash && hash.digest("hex") !== expect.bodySha256) {
        return fail("body", "body SHA-256 differs");
      }
      finish({ ok: true, ms: performance.now() - start, bodyBytes, header });
    };
    socket.on("end", done);
    socket.on("close", done);
    socket.on("error", (error: Error) => {
      if (header !== undefined && (error as { code?: string }).code === "ECONNRESET") return done();
      fail(classify(error), error.message);
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/**
 * Runs the load: `concurrency` loops, each opening a connection per request, until
 * `durationMs` has passed or `maxRequests` have been started.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const target = {
    host: options.connectHost ?? url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 1965,
    servername: url.hostname.replace(/^\[|\]$/g, ""),
    line: `${options.url}\r\n`,
  };
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const durationMs = options.durationMs ?? 10_000;
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const errorExamples: Record<string, string> = {};
  let started = 0;
  let ok = 0;
  let bodyBytes = 0;
  let firstHeader = "";
  const begin = performance.now();
  const deadline = begin + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && started < maxRequests) {
      started++;
      const outcome = await requestOnce(target, options);
      if (outcome.ok) {
        ok++;
        bodyBytes += outcome.bodyBytes;
        latencies.push(outcome.ms);
        firstHeader ||= outcome.header;
      } else {
        errors[outcome.kind] = (errors[outcome.kind] ?? 0) + 1;
        errorExamples[outcome.kind] ??= outcome.message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - begin;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: started,
    ok,
    errors,
    elapsedMs,
    reqPerSec: ok / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    bodyBytes,
    mbPerSec: bodyBytes / 1e6 / (elapsedMs / 1000),
    firstHeader,
    errorExamples,
  };
}

/** SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** One line of text for a result. */
export function formatResult(r: LoadResult): string {
  const errors = Object.entries(r.errors).map(([k, n]) => `${k}=${n}`).join(" ") || "none";
  return `${r.ok}/${r.requests} ok in ${(r.elapsedMs / 1000).toFixed(1)} s: ` +
    `${r.reqPerSec.toFixed(1)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${
      r.p99Ms.toFixed(2)
    } ms, ` +
    `${r.mbPerSec.toFixed(2)} MB/s, errors: ${errors}`;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      connect: { type: "string" },
      concurrency: { type: "string", short: "c", default: "1" },
      duration: { type: "string", short: "d", default: "10" },
      requests: { type: "string", short: "n" },
      timeout: { type: "string", default: "10" },
      "expect-status": { type: "string", default: "20" },
      "expect-meta": { type: "string" },
      "expect-file": { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const out = (text: string): Promise<number> => Deno.stdout.write(new TextEncoder().encode(text));
  if (!values.url) {
    await Deno.stderr.write(new TextEncoder().encode("load.ts: --url is required\n"));
    return 2;
  }
  const expect: Expectation = { status: values["expect-status"], meta: values["expect-meta"] };
  if (values["expect-file"]) {
    const body = await Deno.readFile(values["expect-file"]);
    expect.bodyLength = body.length;
    expect.bodySha256 = sha256Hex(body);
  }
  const result = await runLoad({
    url: values.url,
    connectHost: values.connect,
    concurrency: Number(values.concurrency),
    durationMs: Number(values.duration) * 1000,
    maxRequests: values.requests ? Number(values.requests) : undefined,
    timeoutMs: Number(values.timeout) * 1000,
    expect,
    clientCertificate: values.cert && values.key
      ? { cert: await Deno.readTextFile(values.cert), key: await Deno.readTextFile(values.key) }
      : undefined,
  });
  await out(values.json ? JSON.stringify(result, null, 2) + "\n" : formatResult(result) + "\n");
  return result.ok === result.requests ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
