/**
 * proxyProtocolHook() on a real listener (node backend, 127.0.0.1, port 0): the original
 * client address reaches the connection, TLS continues after the header, and headers from
 * peers not on the allow list, missing headers and slow headers are refused.
 */

import net from "node:net";
import { fetchWithPreface as fetchThrough } from "./_harness.ts";
import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";
import { listen, type Listener } from "../../lib/tls/listen.ts";
import { formatProxyHeader } from "../../lib/server/proxy_protocol.ts";
import {
  allowList,
  type ProxyHookOptions,
  proxyProtocolHook,
} from "../../lib/server/proxy_listener.ts";

interface Served {
  remote: string;
  remotePort: number;
  line: string;
}

/** A bare listen() with the PROXY hook (no server pipeline): it answers each line with the address. */
async function startHookedListener(
  options: ProxyHookOptions,
): Promise<{ listener: Listener; served: Served[]; refused: string[]; done: Promise<void> }> {
  const refused: string[] = [];
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    beforeTls: proxyProtocolHook({
      ...options,
      onRefused: (_peer, reason) => refused.push(reason),
    }),
  });
  const served: Served[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      try {
        await conn.handshake();
        let text = "";
        for (let i = 0; i < 100 && !text.includes("\n"); i++) {
          const chunk = await conn.read();
          if (!chunk) break;
          text += new TextDecoder().decode(chunk);
        }
        served.push({
          remote: conn.remoteAddress.hostname,
          remotePort: conn.remoteAddress.port,
          line: text.trim(),
        });
        await conn.write(`20 text/plain\r\nfrom ${conn.remoteAddress.hostname}\n`);
        await conn.close();
      } catch {
        conn.destroy();
      }
    }
  })();
  return { listener, served, refused, done };
}

const SOURCE = { hostname: "203.0.113.7", port: 40000 };
const DESTINATION = { hostname: "127.0.0.1", port: 1965 };

for (const version of [1, 2] as const) {
  Deno.test(`proxyProtocolHook() reports the v${version} source as the remote address`, async () => {
    const server = await startHookedListener({});
    const text = await fetchThrough(
      server.listener.addr.port,
      formatProxyHeader(version, SOURCE, DESTINATION),
    );
    assertEquals(text, "20 text/plain\r\nfrom 203.0.113.7\n");
    assertEquals(server.served, [{
      remote: "203.0.113.7",
      remotePort: 40000,
      line: "gemini://localhost/",
    }]);
    server.listener.close();
    await server.done;
  });
}

Deno.test("proxyProtocolHook() keeps the socket address for LOCAL and UNKNOWN headers", async () => {
  const server = await startHookedListener({});
  await fetchThrough(server.listener.addr.port, formatProxyHeader(2));
  await fetchThrough(server.listener.addr.port, formatProxyHeader(1));
  assertEquals(server.served.map((s) => s.remote), ["127.0.0.1", "127.0.0.1"]);
  server.listener.close();
  await server.done;
});

Deno.test("proxyProtocolHook() refuses a header from a peer not on the allow list", async () => {
  const server = await startHookedListener({ allowFrom: ["10.0.0.0/8"], required: false });
  const text = await fetchThrough(
    server.listener.addr.port,
    formatProxyHeader(2, SOURCE, DESTINATION),
  ).catch(() => "refused");
  assert(!text.startsWith("20"), text);
  assertEquals(server.served, []);
  assertEquals(server.refused, ["127.0.0.1 is not allowed to send a PROXY header"]);
  // Without a header, the same peer is served under its own address (required: false).
  assertEquals(
    await fetchThrough(server.listener.addr.port, undefined),
    "20 text/plain\r\nfrom 127.0.0.1\n",
  );
  server.listener.close();
  await server.done;
});

Deno.test("proxyProtocolHook() refuses peers off the list at once when a header is required", async () => {
  const server = await startHookedListener({ allowFrom: ["::1"] });
  await fetchThrough(server.listener.addr.port, formatProxyHeader(1, SOURCE, DESTINATION)).catch(
    () => "",
  );
  assertEquals(server.served, []);
  assertEquals(server.refused, [
    "PROXY header required but 127.0.0.1 is not allowed to send one",
  ]);
  server.listener.close();
  await server.done;
});

Deno.test("proxyProtocolHook() refuses a connection without a header when one is required", async () => {
  const server = await startHookedListener({});
  const text = await fetchThrough(server.listener.addr.port, undefined).catch(() => "refused");
  assert(!text.startsWith("20"), text);
  assertEquals(server.served, []);
  assertEquals(server.refused, ["127.0.0.1 sent no PROXY header"]);
  server.listener.close();
  await server.done;
});

Deno.test("proxyProtocolHook() refuses a malformed header and a header that never ends", async () => {
  const server = await startHookedListener({ timeoutMs: 200 });
  const port = server.listener.addr.port;
  await fetchThrough(port, new TextEncoder().encode("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"))
    .catch(() => "");
  const slow = net.connect({ port, host: "127.0.0.1" });
  slow.on("error", () => {});
  slow.write("PROXY TCP4 ");
  await new Promise<void>((resolve) => slow.once("close", () => resolve()));
  assertEquals(server.served, []);
  assertEquals(server.refused, [
    'PROXY v1 header has an invalid port "99999" (expected 0-65535)',
    "127.0.0.1 did not send a complete PROXY header within 200 ms",
  ]);
  server.listener.close();
  await server.done;
});

Deno.test("proxyProtocolHook() hands TLS bytes sent with the header back to the handshake", async () => {
  // A relay in the manner of a load balancer: it writes the header and the client's
  // ClientHello in one TCP write, so the hook reads past the header and must pass the
  // ClientHello on untouched.
  const server = await startHookedListener({});
  const header = formatProxyHeader(2, SOURCE, DESTINATION);
  const upstreams: net.Socket[] = [];
  const relay = net.createServer((client) => {
    const upstream = net.connect({ port: server.listener.addr.port, host: "127.0.0.1" });
    upstreams.push(upstream);
    let first = true;
    client.on("data", (chunk: Uint8Array) => {
      if (first) {
        first = false;
        const joined = new Uint8Array(header.length + chunk.length);
        joined.set(header);
        joined.set(chunk, header.length);
        upstream.write(joined);
      } else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Uint8Array) => client.write(chunk));
    upstream.on("end", () => client.end());
    client.on("end", () => upstream.end());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const relayPort = (relay.address() as net.AddressInfo).port;
  const text = await fetchThrough(relayPort, undefined);
  assertEquals(text, "20 text/plain\r\nfrom 203.0.113.7\n");
  await new Promise<void>((resolve) => relay.close(() => resolve()));
  for (const s of upstreams) s.destroy();
  server.listener.close();
  await server.done;
});

Deno.test("allowList() matches addresses and CIDR blocks and rejects bad entries", () => {
  const allowed = allowList(["127.0.0.1", "10.0.0.0/8", "fd00::/8", "::1"]);
  for (const ok of ["127.0.0.1", "10.255.0.1", "fd12::1", "::1", "::ffff:10.1.1.1"]) {
    assert(allowed(ok), ok);
  }
  for (const no of ["127.0.0.2", "11.0.0.1", "fe80::1", "", "localhost"]) assert(!allowed(no), no);
  assertThrows(() => allowList(["localhost"]), TypeError, "Invalid address");
  assertThrows(() => allowList(["10.0.0.0/33"]), TypeError, "prefix length");
  assertThrows(() => allowList(["::/129"]), TypeError, "prefix length");
});
