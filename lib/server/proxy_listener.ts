/**
 * The PROXY protocol on a listener: a `beforeTls` hook for `listen()` (lib/tls) that reads
 * the header a load balancer sends before the TLS stream, reports the original client as
 * the connection's remote address, and hands the bytes after the header back to TLS.
 * Only peers on an allow list (default: loopback) may send a header; a header from anyone
 * else is refused, and so is a connection without a header when one is required.
 *
 * @module
 */

import net from "node:net";
import type { PreTlsResult } from "../tls/listen.ts";
import { type Address, stripV4Mapped } from "../tls/connection.ts";
import { parseAllowList } from "./config/values.ts";
import {
  detectProxyHeader,
  parseProxyHeader,
  PROXY_V2_DEFAULT_MAX_LENGTH,
  ProxyProtocolError,
} from "./proxy_protocol.ts";

/** The peers allowed to send a PROXY header by default: loopback only. */
export const DEFAULT_PROXY_FROM: readonly string[] = ["127.0.0.1", "::1"];

/** Options for {@linkcode proxyProtocolHook}. */
export interface ProxyHookOptions {
  /**
   * Addresses or CIDR blocks (`10.0.0.0/8`, `fd00::/8`) allowed to send a PROXY header.
   * Default {@linkcode DEFAULT_PROXY_FROM} (127.0.0.1 and ::1).
   */
  allowFrom?: readonly string[];
  /**
   * Refuse connections that arrive without a header. Default `true`: a listener behind a
   * load balancer should not also accept direct clients, whose address would be trusted
   * as is. With `false`, allowed peers may connect either way.
   */
  required?: boolean;
  /** How long to wait for the whole header, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Cap on a version 2 header. Default 1024 bytes. */
  maxV2Length?: number;
  /** Called with the peer address and the reason whenever a connection is refused. */
  onRefused?: (peer: string, reason: string) => void;
}

/**
 * Compiles an allow list of addresses and CIDR blocks (read by `parseAllowList()` of
 * config/values.ts, which throws a `TypeError` for a bad entry) into a predicate.
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are checked as IPv4.
 *
 * @example
 * ```ts
 * import { allowList } from "./proxy_listener.ts";
 * import assert from "node:assert/strict";
 * const allowed = allowList(["10.0.0.0/8", "::1"]);
 * assert.ok(allowed("10.1.2.3"));
 * assert.ok(allowed("::ffff:10.0.0.9"));
 * assert.ok(!allowed("192.0.2.1"));
 * ```
 */
export function allowList(entries: readonly string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const entry of parseAllowList(entries)) {
    if (entry.bits === undefined) list.addAddress(entry.address, entry.family);
    else list.addSubnet(entry.address, entry.bits, entry.family);
  }
  return (address: string): boolean => {
    const plain = stripV4Mapped(address);
    if (net.isIPv4(plain)) return list.check(plain, "ipv4");
    if (net.isIPv6(plain)) return list.check(plain, "ipv6");
    return false;
  };
}

/**
 * Makes a `beforeTls` hook for `listen()` that reads a PROXY protocol header (v1 or v2).
 * The hook resolves with the original client address (none for `LOCAL`/`UNKNOWN` headers,
 * so the connection's own address stands) and the bytes that followed the header; it
 * rejects with {@linkcode ProxyProtocolError} when the header is malformed, too slow, sent by
 * a peer not on the allow list, or missing while required.
 *
 * @example
 * ```ts
 * import { proxyProtocolHook } from "./proxy_listener.ts";
 * import assert from "node:assert/strict";
 * import net from "node:net";
 * const hook = proxyProtocolHook({ allowFrom: ["127.0.0.1"], timeoutMs: 2000 });
 * const { promise, resolve, reject } = Promise.withResolvers<unknown>();
 * const server = net.createServer((socket) => {
 *   hook(socket).then(resolve, reject).finally(() => socket.destroy());
 * });
 * await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
 * const { port } = server.address() as net.AddressInfo;
 * const client = net.connect(port, "127.0.0.1");
 * client.end("PROXY TCP4 192.0.2.1 127.0.0.1 5000 1965\r\nhello");
 * const result = await promise;
 * assert.deepEqual(result, {
 *   remoteAddress: { hostname: "192.0.2.1", port: 5000 },
 *   unread: new TextEncoder().encode("hello"),
 * });
 * await new Promise((closed) => server.close(closed));
 * ```
 */
export function proxyProtocolHook(
  options: ProxyHookOptions = {},
): (socket: net.Socket) => Promise<PreTlsResult> {
  const allowed = allowList(options.allowFrom ?? DEFAULT_PROXY_FROM);
  const required = options.required ?? true;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxV2Length = options.maxV2Length ?? PROXY_V2_DEFAULT_MAX_LENGTH;
  return async (socket: net.Socket): Promise<PreTlsResult> => {
    const peer = stripV4Mapped(socket.remoteAddress ?? "");
    const trusted = allowed(peer);
    // The socket's own address, stated explicitly: when bytes past the header are replayed
    // through a stream, the TLS socket cannot see the TCP peer any more.
    const own = (): Address => ({ hostname: peer, port: socket.remotePort ?? 0 });
    const decision = !trusted && required
      ? { reason: `PROXY header required but ${peer} is not allowed to send one` }
      : await readPreface(socket, peer, timeoutMs, (buffered) => {
        const kind = detectProxyHeader(buffered);
        if (kind === "undecided") return undefined;
        if (kind === "none") {
          if (required) return { reason: `${peer} sent no PROXY header` };
          return { result: { remoteAddress: own(), unread: buffered } };
        }
        if (!trusted) return { reason: `${peer} is not allowed to send a PROXY header` };
        const parsed = parseProxyHeader(buffered, { maxV2Length });
        if (!parsed.done) return undefined;
        const source = parsed.header.command === "proxy" ? parsed.header.source : undefined;
        return {
          result: {
            remoteAddress: source
              ? { hostname: stripV4Mapped(source.hostname), port: source.port }
              : own(),
            unread: parsed.rest.length > 0 ? parsed.rest : undefined,
          },
        };
      });
    if ("result" in decision) return decision.result;
    options.onRefused?.(peer, decision.reason);
    throw new ProxyProtocolError(decision.reason);
  };
}

/** What a preface decides: the connection's details, or why it is refused. */
type Decision = { result: PreTlsResult } | { reason: string };

/**
 * Reads the raw socket until `decide` (given every byte so far) returns a decision, the
 * time is up, or the peer leaves; the socket is paused again at the end. A throw from
 * `decide` refuses with its message.
 */
function readPreface(
  socket: net.Socket,
  peer: string,
  timeoutMs: number,
  decide: (buffered: Uint8Array) => Decision | undefined,
): Promise<Decision> {
  return new Promise<Decision>((resolve) => {
    let buffered = new Uint8Array(0);
    const finish = (decision: Decision): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.pause();
      resolve(decision);
    };
    const timer = setTimeout(
      () =>
        finish({ reason: `${peer} did not send a complete PROXY header within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const onData = (chunk: Uint8Array): void => {
      const next = new Uint8Array(buffered.length + chunk.length);
      next.set(buffered);
      next.set(chunk, buffered.length);
      buffered = next;
      let decision: Decision | undefined;
      try {
        decision = decide(buffered);
      } catch (error) {
        decision = { reason: error instanceof Error ? error.message : String(error) };
      }
      if (decision) finish(decision);
    };
    const onEnd = (): void =>
      finish({ reason: `${peer} closed the connection before the PROXY header was complete` });
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.resume();
  });
}
