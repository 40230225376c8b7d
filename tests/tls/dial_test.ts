import { concatBytes } from "../../lib/protocol/bytes.ts";
import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { localhostCertificate, startTestServer } from "../_helpers/tls_server.ts";
import { dial, DialError } from "../../lib/tls/dial.ts";
import { certificateInfo, generateCertificate } from "../../lib/tls/certificate.ts";

async function readAll(
  conn: { read(): Promise<Uint8Array | null> },
  delayMs = 0,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
    chunks.push(chunk);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  }
  return concatBytes(chunks);
}

Deno.test("dial() returns the server's fingerprints before any request byte is written", async () => {
  const bundle = await localhostCertificate();
  const received: Uint8Array[] = [];
  const server = await startTestServer(({ socket, raw }) => {
    received.push(raw);
    socket.end("20 text/gemini\r\nhi\n");
  });
  try {
    const conn = await dial("localhost", { port: server.port });
    assertEquals(conn.peerCertificate.spkiSha256, bundle.info.spkiSha256);
    assertEquals(conn.peerCertificate.certSha256, bundle.info.certSha256);
    assertEquals(conn.servername, "localhost");
    assertEquals(conn.peerCertificate.subject, bundle.info.subject);
    assertEquals(conn.peerCertificate.notBefore, bundle.info.notBefore);
    assertEquals(conn.peerCertificate.notAfter, bundle.info.notAfter);
    assert(conn.tls.version === "TLSv1.3" || conn.tls.version === "TLSv1.2");
    assert(/^TLS_|^ECDHE-/.test(conn.tls.cipher), conn.tls.cipher);
    assert(conn.timing.connectMs >= 0 && conn.timing.tlsMs >= 0);
    assertEquals(server.lines, []);
    await conn.write("gemini://localhost/\r\n");
    const body = new TextDecoder().decode(await readAll(conn));
    assertEquals(body, "20 text/gemini\r\nhi\n");
    assertEquals(server.lines, ["gemini://localhost/"]);
    // Every byte the server received, from the handshake on, is the request: dial() itself
    // wrote none.
    assertEquals(received.map((r) => new TextDecoder().decode(r)), ["gemini://localhost/\r\n"]);
    assertEquals(conn.closeNotify, true);
    await conn.close();
  } finally {
    await server.close();
  }
});

Deno.test("dial() sends no SNI for an IP literal and the name otherwise", async () => {
  const seen: (string | undefined)[] = [];
  const server = await startTestServer(({ socket, servername }) => {
    seen.push(servername);
    socket.end("20 text/plain\r\n");
  });
  try {
    for (const host of ["127.0.0.1", "localhost"]) {
      const conn = await dial(host, { port: server.port });
      await conn.write("x\r\n");
      await readAll(conn);
      await conn.close();
    }
    assertEquals(seen, [undefined, "localhost"]);
  } finally {
    await server.close();
  }
});

Deno.test("dial() reports close_notify, and its absence, even with a slow reader", async () => {
  const big = "x".repeat(300_000);
  for (const [mode, expected] of [["end", true], ["destroy", false]] as const) {
    const server = await startTestServer(({ socket }) => {
      socket.write(`20 text/plain\r\n${big}`, () => {
        if (mode === "end") socket.end();
        else setTimeout(() => socket.destroy(), 20);
      });
    });
    try {
      for (const delay of [0, 2]) {
        const conn = await dial("127.0.0.1", { port: server.port });
        await conn.write("gemini://127.0.0.1/\r\n");
        const body = await readAll(conn, delay);
        assertEquals(body.length, 15 + big.length, `${mode} delay ${delay}`);
        assertEquals(conn.closeNotify, expected, `${mode} delay ${delay}`);
        conn.destroy();
      }
    } finally {
      await server.close();
    }
  }
});

Deno.test("dial() presents a client certificate when given one", async () => {
  const identity = await generateCertificate("alice");
  let received: string | undefined;
  const server = await startTestServer(({ socket, clientCertificate }) => {
    received = clientCertificate ? certificateInfo(clientCertificate).spkiSha256 : "none";
    socket.end("20 text/plain\r\n");
  });
  try {
    const conn = await dial("localhost", { port: server.port, identity });
    await conn.write("x\r\n");
    await readAll(conn);
    assertEquals(received, identity.info.spkiSha256);
    const anonymous = await dial("localhost", { port: server.port });
    await anonymous.write("x\r\n");
    await readAll(anonymous);
    assertEquals(received, "none");
  } finally {
    await server.close();
  }
});

Deno.test("dial() fails with a DialError when nothing listens, and on timeout", async () => {
  const server = await startTestServer(() => {});
  const port = server.port;
  await server.close();
  const refused = await assertRejects(() => dial("127.0.0.1", { port }), DialError);
  assertEquals(refused.code, "ECONNREFUSED");
  // A TCP server that never speaks TLS: the handshake times out.
  const net = await import("node:net");
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  try {
    const error = await assertRejects(
      () => dial("127.0.0.1", { port: (silent.address() as { port: number }).port, timeout: 300 }),
      DialError,
      "Timed out",
    );
    assertEquals(error.code, "ETIMEDOUT");
  } finally {
    silent.close();
  }
});
