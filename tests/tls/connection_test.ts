/**
 * The write path of the node:tls connections (dial and the node listener backend): one large
 * write goes out in pieces of at most 64 KiB, and after a piece fills the socket's buffer
 * the next one waits for `drain`. Real TLS on 127.0.0.1, port 0.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";
import { MAX_WRITE_CHUNK, NodeTlsConnection } from "../../lib/tls/connection.ts";
import { dial } from "../../lib/tls/dial.ts";
import { listen } from "../../lib/tls/listen.ts";

Deno.test("a large write goes out in pieces of at most 64 KiB, each waiting for drain when the buffer is full", async () => {
  assertEquals(MAX_WRITE_CHUNK, 65_536);
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    backend: "node",
  });
  const total = 3 * MAX_WRITE_CHUNK + 1234;
  const received = (async () => {
    const conn = (await listener.accept())!;
    await conn.handshake();
    let bytes = 0;
    for (let chunk = await conn.read(); chunk; chunk = await conn.read()) bytes += chunk.length;
    await conn.close();
    return bytes;
  })();
  const client = await dial("127.0.0.1", { port: listener.addr.port });
  // Record the socket's write calls and drain events in order.
  const events: string[] = [];
  assert(client instanceof NodeTlsConnection);
  const socket = client.socket;
  const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
  (socket as unknown as { write: (chunk: Uint8Array) => boolean }).write = (chunk) => {
    const accepted = write(chunk);
    events.push(`write ${chunk.length} ${accepted ? "ok" : "full"}`);
    return accepted;
  };
  socket.on("drain", () => events.push("drain"));
  await client.write(new Uint8Array(total).fill(0x61));
  await client.close();
  assertEquals(await received, total);
  listener.close();

  const writes = events.filter((e) => e.startsWith("write"));
  assertEquals(
    writes.map((e) => Number(e.split(" ")[1])),
    [MAX_WRITE_CHUNK, MAX_WRITE_CHUNK, MAX_WRITE_CHUNK, 1234],
  );
  // 64 KiB is over the socket's buffer limit, so at least the first piece fills it; after
  // every full write a drain comes before the next write.
  assert(events[0].endsWith("full"), events.join(", "));
  for (let i = 0; i < events.length; i++) {
    if (!events[i].endsWith("full")) continue;
    const next = events.slice(i + 1).find((e) => e === "drain" || e.startsWith("write"));
    if (next !== undefined) assertEquals(next, "drain", events.join(", "));
  }
});
