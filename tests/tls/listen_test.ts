/**
 * The listener backends pass one shared connection suite; node-only features (SNI,
 * client certificates, pre-TLS hook) are tested on the node backend. Real TLS on
 * 127.0.0.1, port 0, throwaway certificates.
 */

import { runOpenssl } from "../_helpers/openssl.ts";
import { concatBytes } from "../../lib/protocol/bytes.ts";
import net from "node:net";
import tls from "node:tls";
import { Duplex } from "node:stream";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { localhostCertificate } from "../_helpers/tls_server.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { dial, DialError } from "../../lib/tls/dial.ts";
import { peerPort } from "../_helpers/ports.ts";
import { listen, type ListenerBackend, type ServerConnection } from "../../lib/tls/listen.ts";

async function readAll(conn: { read(): Promise<Uint8Array | null> }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) chunks.push(chunk);
  return concatBytes(chunks);
}

async function readLine(conn: ServerConnection): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const chunk = await conn.read();
    if (!chunk) break;
    text += new TextDecoder().decode(chunk);
  }
  return text;
}

async function openssl(args: string[], input = ""): Promise<{ code: number; output: string }> {
  const out = await runOpenssl(args, input);
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

// The TLS 1.1 peers are openssl's s_client and s_server, which .ci/run installs: these tests
// fail (never skip) where openssl is missing.

for (const backend of ["node", "deno"] as ListenerBackend[]) {
  Deno.test(`listen(${backend}): serves a request and ends with close_notify`, async () => {
    const bundle = await localhostCertificate();
    const listener = await listen({
      port: 0,
      hostname: "127.0.0.1",
      certificates: [bundle],
      backend,
    });
    assertEquals(listener.backend, backend);
    const served = (async () => {
      const conn = (await listener.accept())!;
      await conn.handshake();
      assertEquals(conn.remoteAddress.hostname, "127.0.0.1");
      const line = await readLine(conn);
      await conn.write(`20 text/plain\r\nyou asked for ${line.trim()}\n`);
      await conn.close();
    })();
    const client = await dial("127.0.0.1", { port: listener.addr.port });
    assertEquals(client.peerCertificate.spkiSha256, bundle.info.spkiSha256);
    await client.write("gemini://127.0.0.1/\r\n");
    const text = new TextDecoder().decode(await readAll(client));
    assertEquals(text, "20 text/plain\r\nyou asked for gemini://127.0.0.1/\n");
    assertEquals(client.closeNotify, true);
    await served;
    listener.close();
    assertEquals(await listener.accept(), null);
  });

  Deno.test(`listen(${backend}): a 5 MiB body arrives intact through chunked writes`, async () => {
    const listener = await listen({
      port: 0,
      hostname: "127.0.0.1",
      certificates: [await localhostCertificate()],
      backend,
    });
    const body = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7) % 251);
    const served = (async () => {
      const conn = (await listener.accept())!;
      await conn.handshake();
      await readLine(conn);
      await conn.write(body);
      await conn.close();
    })();
    const client = await dial("127.0.0.1", { port: listener.addr.port });
    await client.write("gemini://127.0.0.1/big\r\n");
    const received = await readAll(client);
    assertEquals(received.length, body.length);
    assert(received.every((b, i) => b === body[i]), "body bytes differ");
    await served;
    listener.close();
  });

  Deno.test(`listen(${backend}): a client that is not TLS fails its handshake and the listener goes on`, async () => {
    const listener = await listen({
      port: 0,
      hostname: "127.0.0.1",
      certificates: [await localhostCertificate()],
      backend,
    });
    const garbage = net.connect({ port: listener.addr.port, host: "127.0.0.1" });
    garbage.on("error", () => {});
    garbage.write("GET / HTTP/1.0\r\n\r\n");
    if (backend === "deno") {
      // Deno.listenTls hands it over; its handshake fails. (The node backend reads the
      // ClientHello itself and drops the connection without delivering it.)
      const bad = (await listener.accept())!;
      await assertRejects(() => bad.handshake());
      bad.destroy();
    } else {
      await new Promise<void>((r) => garbage.once("close", () => r()));
    }
    garbage.destroy();
    const served = (async () => {
      const conn = (await listener.accept())!;
      await conn.handshake();
      await readLine(conn);
      await conn.write("51 Not found\r\n");
      await conn.close();
    })();
    const client = await dial("127.0.0.1", { port: listener.addr.port });
    await client.write("gemini://127.0.0.1/\r\n");
    assertEquals(new TextDecoder().decode(await readAll(client)), "51 Not found\r\n");
    await served;
    listener.close();
  });

  Deno.test({
    name: `listen(${backend}): a TLS 1.1-only client is refused`,
    fn: async () => {
      const dropped: string[] = [];
      const listener = await listen({
        port: 0,
        hostname: "127.0.0.1",
        certificates: [await localhostCertificate()],
        backend,
        onDropped: (_ip, reason) => dropped.push(reason),
      });
      // The deno backend hands the connection over and its handshake fails; the node backend
      // refuses the ClientHello itself with a protocol_version alert and delivers nothing.
      const accepted = backend === "deno"
        ? (async () => {
          const conn = (await listener.accept())!;
          const result = await conn.handshake().then(() => "ok", () => "refused");
          conn.destroy();
          return result;
        })()
        : Promise.resolve("refused");
      const { output } = await openssl([
        "s_client",
        "-connect",
        `127.0.0.1:${listener.addr.port}`,
        "-tls1_1",
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
      ]);
      assertEquals(await accepted, "refused");
      // openssl names the version it offered even when the handshake fails; what matters is
      // that no cipher was agreed.
      assertMatch(output, /Cipher is \(NONE\)|Cipher\s*:\s*0000/);
      if (backend === "node") {
        assertMatch(output, /alert protocol version/);
        assertEquals(dropped, ["TLS older than 1.2"]);
      }
      listener.close();
    },
  });
}

// A client that never sends its ClientHello: the node backend closes its TCP connection at
// the hello deadline without having made any TLS object for it (no byte is sent). Deno's
// listenTls cannot close such a connection (see lib/tls/listen.ts and the README).
Deno.test("listen(node): an idle client that never sends a ClientHello is closed at the hello deadline", async () => {
  const dropped: string[] = [];
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    backend: "node",
    helloTimeoutMs: 300,
    onDropped: (_ip, reason) => dropped.push(reason),
  });
  const idle = net.connect({ port: listener.addr.port, host: "127.0.0.1" });
  idle.on("error", () => {});
  const received: Uint8Array[] = [];
  idle.on("data", (chunk: Uint8Array) => received.push(chunk));
  let bound: ReturnType<typeof setTimeout> | undefined;
  const closed = new Promise<string>((resolve) => {
    idle.once("close", () => resolve("closed"));
    // a bound on the wait, not a speed requirement: the close comes at the 300 ms deadline
    bound = setTimeout(() => resolve("still open after 10 s"), 10_000);
  });
  assertEquals(await closed, "closed");
  clearTimeout(bound);
  assertEquals([received.length, dropped], [0, ["no ClientHello in time"]]);
  listener.close();
  assertEquals(await listener.accept(), null, "nothing was delivered");
});

Deno.test("listen(node): garbage instead of a ClientHello is dropped without a TLS byte", async () => {
  const dropped: string[] = [];
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    backend: "node",
    onDropped: (_ip, reason) => dropped.push(reason),
  });
  for (
    const garbage of ["gemini://localhost/\r\n", "GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00\x00"]
  ) {
    const socket = net.connect({ port: listener.addr.port, host: "127.0.0.1" });
    socket.on("error", () => {});
    let received = 0;
    socket.on("data", (chunk: Uint8Array) => (received += chunk.length));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.once("connect", () => socket.write(garbage));
    await closed;
    assertEquals(received, 0, JSON.stringify(garbage));
  }
  assertEquals(dropped.length, 3);
  assert(dropped.every((r) => r.startsWith("not a TLS ClientHello")), dropped.join("; "));
  listener.close();
});

Deno.test("listen(node): SNI selects the right certificate and is exposed", async () => {
  const a = await generateCertificate("a.example", { altNames: ["a.example"] });
  const b = await generateCertificate("b.example", { altNames: ["b.example", "*.b.example"] });
  const listener = await listen({ port: 0, hostname: "127.0.0.1", certificates: [a, b] });
  assertEquals(listener.backend, "node");
  const names: (string | undefined)[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.handshake();
      names.push(conn.servername);
      await readLine(conn);
      await conn.write("20 text/plain\r\n");
      await conn.close();
    }
  })();
  const seen: string[] = [];
  for (const name of ["a.example", "b.example", "www.b.example", "unknown.example"]) {
    const client = await dial("127.0.0.1", { port: listener.addr.port, servername: name });
    seen.push(client.peerCertificate.spkiSha256);
    await client.write(`gemini://${name}/\r\n`);
    await readAll(client);
  }
  assertEquals(seen, [a.info.spkiSha256, b.info.spkiSha256, b.info.spkiSha256, a.info.spkiSha256]);
  assertEquals(names, ["a.example", "b.example", "www.b.example", "unknown.example"]);
  listener.close();
  await serving;
});

Deno.test("listen(node): the client certificate is seen when sent, none otherwise", async () => {
  const identity = await generateCertificate("alice");
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    requestClientCertificate: true,
  });
  assertEquals(listener.backend, "node");
  const fingerprints: (string | undefined)[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.handshake();
      fingerprints.push(conn.peerCertificate?.spkiSha256);
      await readLine(conn);
      await conn.write("20 text/plain\r\n");
      await conn.close();
    }
  })();
  for (const withIdentity of [true, false]) {
    const client = await dial("localhost", {
      port: listener.addr.port,
      identity: withIdentity ? identity : undefined,
    });
    await client.write("gemini://localhost/\r\n");
    await readAll(client);
  }
  assertEquals(fingerprints, [identity.info.spkiSha256, undefined]);
  listener.close();
  await serving;
});

Deno.test("listen(node): a pre-TLS hook reads a preface even when TLS bytes follow in the same packet", async () => {
  const listener = await listen({
    port: 0,
    hostname: "127.0.0.1",
    certificates: [await localhostCertificate()],
    beforeTls: (raw) =>
      new Promise((resolve, reject) => {
        raw.once("data", (chunk: Uint8Array) => {
          raw.pause();
          const lf = chunk.indexOf(10);
          if (lf < 0) return reject(new Error("no preface"));
          const [, , , , port] = new TextDecoder().decode(chunk.subarray(0, lf)).trim().split(" ");
          resolve({
            remoteAddress: { hostname: "192.0.2.7", port: Number(port) },
            unread: chunk.subarray(lf + 1),
          });
        });
        raw.resume();
      }),
  });
  const served = (async () => {
    const conn = (await listener.accept())!;
    await conn.handshake();
    const line = await readLine(conn);
    await conn.write(
      `20 text/plain\r\n${conn.remoteAddress.hostname}:${conn.remoteAddress.port} ${line}`,
    );
    await conn.close();
  })();
  // A client that sends the preface and its ClientHello in one write.
  const raw = net.connect({ port: listener.addr.port, host: "127.0.0.1" });
  await new Promise((resolve) => raw.once("connect", resolve));
  let first = true;
  const duplex = new Duplex({
    read(): void {},
    write(chunk: Uint8Array, _enc, callback): void {
      const data = first
        ? new Uint8Array([
          ...new TextEncoder().encode("PROXY TCP4 192.0.2.7 127.0.0.1 4444 1965\r\n"),
          ...chunk,
        ])
        : chunk;
      first = false;
      raw.write(data, () => callback());
    },
  });
  raw.on("data", (chunk) => duplex.push(chunk));
  raw.on("end", () => duplex.push(null));
  const client = tls.connect(
    { socket: duplex, rejectUnauthorized: false },
    () => client.write("gemini://x/\r\n"),
  );
  let text = "";
  client.on("data", (d) => (text += d));
  await new Promise((resolve) => client.on("end", resolve));
  assertEquals(text, "20 text/plain\r\n192.0.2.7:4444 gemini://x/\r\n");
  raw.destroy();
  await served;
  listener.close();
});

Deno.test({
  name: "dial() refuses a TLS 1.1-only server",
  fn: async () => {
    const bundle = await localhostCertificate();
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/cert.pem`, bundle.cert);
    await Deno.writeTextFile(`${dir}/key.pem`, bundle.key);
    const port = peerPort();
    const server = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-cert",
        `${dir}/cert.pem`,
        "-key",
        `${dir}/key.pem`,
        "-tls1_1",
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
        "-quiet",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForPort(port);
      const error = await assertRejects(
        () => dial("127.0.0.1", { port, timeout: 5000 }),
        DialError,
      );
      assert(/TLS handshake/.test(error.message), error.message);
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function waitForPort(port: number): Promise<void> {
  // A generous bound: it only stops a hang, and a loaded CI machine may start slowly.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`port ${port} never opened`);
}
