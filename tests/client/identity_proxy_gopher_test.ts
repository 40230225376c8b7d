import net from "node:net";
import { assertEquals, assertRejects, assertStringIncludes } from "../_helpers/assert.ts";
import { answer, startGeminiServer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { startTestServer } from "../_helpers/tls_server.ts";
import {
  makeIdentity,
  memoryClient as client,
  MemoryIdentityStore,
} from "../_helpers/memory_stores.ts";
import { openIdentityStore } from "../../lib/client/identities.ts";
import { encryptKey, makeIdentity as storeIdentity } from "../../lib/client/identities.ts";
import { ClientError, type Identity } from "../../lib/client/types.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

/** An identity "alice" whose key is encrypted with the passphrase "pw". */
async function encryptedAlice(): Promise<Identity> {
  const { cert, key } = await generateCertificate("alice");
  return storeIdentity("alice", { cert, key: encryptKey(key, "pw"), passphrase: "pw" });
}

/** A server that answers 60 without a certificate, 61 for one it does not know, 20 for alice. */
async function certServer(alice: Identity): Promise<Awaited<ReturnType<typeof startGeminiServer>>> {
  return await startGeminiServer(({ conn }) => {
    const peer = conn.peerCertificate;
    if (!peer) return answer(conn, "60 Certificate required\r\n");
    if (peer.spkiSha256 !== alice.info.spkiSha256) return answer(conn, "61 Not you\r\n");
    return answer(conn, "20 text/plain\r\n", `hello ${peer.commonName}\n`);
  });
}

// ---------------------------------------------------------------------------------------
// identities

Deno.test("Client answers 60 without an identity and 61 with the wrong one", async () => {
  const alice = await makeIdentity("alice");
  const mallory = await makeIdentity("mallory");
  const server = await certServer(alice);
  try {
    const none = await client().fetch(server.url("/private"));
    assertEquals([none.status, none.meta], [60, "Certificate required"]);
    const wrong = await client().fetch(server.url("/private"), { identity: mallory });
    assertEquals([wrong.status, wrong.identity], [61, "mallory"]);
    const right = await client().fetch(server.url("/private"), { identity: alice });
    assertEquals([right.status, right.identity], [20, "alice"]);
    assertEquals(await right.text(), "hello alice\n");
  } finally {
    await server.close();
  }
});

Deno.test("Client picks the identity by scope, segment-aware, longest prefix first", async () => {
  const seen: string[] = [];
  await withGeminiServer(({ line, conn }) => {
    seen.push(`${new URL(line).pathname} ${conn.peerCertificate?.commonName ?? "-"}`);
    return answer(conn, "20 text/plain\r\n", "ok\n");
  }, async (server) => {
    const identities = new MemoryIdentityStore();
    const origin = `gemini://localhost:${server.port}`;
    await identities.add(await makeIdentity("alice", [`${origin}/alice`]));
    await identities.add(await makeIdentity("deep", [`${origin}/alice/deep`]));
    await identities.add(await makeIdentity("elsewhere", [`gemini://localhost:1/alice`]));
    const c = client({ identities });
    for (const path of ["/alice", "/alice/x", "/alice-bob", "/alice/deep/er", "/"]) {
      await (await c.fetch(server.url(path))).bytes();
    }
    assertEquals(seen, [
      "/alice alice",
      "/alice/x alice",
      "/alice-bob -",
      "/alice/deep/er deep",
      "/ -",
    ]);
  });
});

Deno.test("Client retries once with the identity onIdentityRequired returns", async () => {
  const alice = await makeIdentity("alice");
  const server = await certServer(alice);
  try {
    const asked: number[] = [];
    const response = await client({
      hooks: {
        onIdentityRequired: ({ status }) => {
          asked.push(status);
          return Promise.resolve(alice);
        },
      },
    }).fetch(server.url("/private"));
    assertEquals([response.status, response.identity], [20, "alice"]);
    await response.bytes();
    assertEquals(asked, [60]);
    assertEquals(server.lines.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("Client does not carry a forced identity to another host", async () => {
  const alice = await makeIdentity("alice");
  await withGeminiServer(({ line, conn }) => {
    const url = new URL(line);
    if (url.hostname === "localhost") {
      return answer(conn, `30 gemini://127.0.0.1:${url.port}/\r\n`);
    }
    return answer(
      conn,
      "20 text/plain\r\n",
      `${conn.peerCertificate?.commonName ?? "anonymous"}\n`,
    );
  }, async (server) => {
    const response = await client().fetch(server.url("/"), { identity: alice });
    assertEquals(await response.text(), "anonymous\n");
  });
});

Deno.test("Client asks for the passphrase of an encrypted identity key", async () => {
  const encrypted = await encryptedAlice();
  const server = await certServer(encrypted);
  try {
    const response = await client({ hooks: { onPassphrase: () => Promise.resolve("pw") } })
      .fetch(server.url("/"), { identity: encrypted });
    assertEquals(await response.text(), "hello alice\n");
    const error = await assertRejects(
      () => client().fetch(server.url("/"), { identity: encrypted }),
      ClientError,
    );
    assertEquals(error.code, "identity");
    assertStringIncludes(error.message, "passphrase");
  } finally {
    await server.close();
  }
});

Deno.test("Client asks for a passphrase once per identity, across redirects and fetches", async () => {
  const encrypted = await encryptedAlice();
  await withGeminiServer(({ line, conn }) => {
    if (new URL(line).pathname === "/start") return answer(conn, "30 /end\r\n");
    return answer(conn, "20 text/plain\r\n", `hello ${conn.peerCertificate?.commonName}\n`);
  }, async (server) => {
    let asked = 0;
    const c = client({
      hooks: {
        onPassphrase: () => {
          asked++;
          return Promise.resolve("pw");
        },
      },
    });
    const first = await c.fetch(server.url("/start"), { identity: encrypted });
    assertEquals([first.status, await first.text()], [20, "hello alice\n"]);
    const again = await c.fetch(server.url("/end"), { identity: encrypted });
    assertEquals(await again.text(), "hello alice\n");
    assertEquals(asked, 1);
  });
});

Deno.test("Client refuses a wrong passphrase before connecting, instead of going on without a certificate", async () => {
  const encrypted = await encryptedAlice();
  const server = await certServer(encrypted);
  try {
    let asked = 0;
    const c = client({
      hooks: {
        onPassphrase: () => {
          asked++;
          return Promise.resolve(asked === 1 ? "wrong" : "pw");
        },
      },
    });
    const error = await assertRejects(
      () => c.fetch(server.url("/"), { identity: encrypted }),
      ClientError,
    );
    assertEquals(error.code, "identity");
    assertStringIncludes(error.message, 'Wrong passphrase for the key of identity "alice"');
    assertEquals([server.handshakes, server.lines.length], [0, 0]);
    // A wrong answer is not remembered: the next fetch asks again and gets in.
    const right = await c.fetch(server.url("/"), { identity: encrypted });
    assertEquals(await right.text(), "hello alice\n");
    assertEquals(asked, 2);
  } finally {
    await server.close();
  }
});

Deno.test("Client warns before sending a client certificate over TLS 1.2, and not over TLS 1.3", async () => {
  const alice = await makeIdentity("alice");
  const seen: string[] = [];
  const handler = ({ socket, clientCertificate }: {
    socket: { end(data: string): void };
    clientCertificate: Uint8Array | undefined;
  }): void => {
    seen.push(clientCertificate ? "certificate" : "none");
    socket.end("20 text/plain\r\nok\n");
  };
  const old = await startTestServer(handler, { maxVersion: "TLSv1.2" });
  const modern = await startTestServer(handler);
  try {
    const warnings: string[] = [];
    const c = client({ hooks: { onWarning: (m) => warnings.push(m) } });
    const url = (port: number): string => `gemini://localhost:${port}/`;
    const legacy = await c.fetch(url(old.port), { identity: alice });
    assertEquals([legacy.tls?.version, await legacy.text()], ["TLSv1.2", "ok\n"]);
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0], `localhost:${old.port} speaks only TLS 1.2`);
    assertStringIncludes(warnings[0], '"alice"');
    // The refused TLS 1.3 attempt completed no handshake and sent nothing.
    assertEquals([old.handshakes, old.lines.length], [1, 1]);
    // The same client says it once per server.
    await (await c.fetch(url(old.port), { identity: alice })).bytes();
    assertEquals(warnings.length, 1);
    const current = await c.fetch(url(modern.port), { identity: alice });
    assertEquals([current.tls?.version, await current.text()], ["TLSv1.3", "ok\n"]);
    // Without an identity nothing is said, whatever the version.
    await (await c.fetch(url(old.port))).bytes();
    assertEquals(warnings.length, 1);
    assertEquals(seen, ["certificate", "certificate", "certificate", "none"]);
  } finally {
    await old.close();
    await modern.close();
  }
});

Deno.test("Client uses the file identity store by scope", async () => {
  const home = await Deno.makeTempDir();
  const server = await startGeminiServer(({ conn }) =>
    answer(conn, "20 text/plain\r\n", `${conn.peerCertificate?.commonName ?? "-"}\n`)
  );
  try {
    const paths = {
      configDir: `${home}/config`,
      dataDir: `${home}/data`,
      configFile: `${home}/config/config.toml`,
    };
    const store = openIdentityStore(paths);
    const { cert, key } = await generateCertificate("bob");
    await store.add(
      storeIdentity("bob", { cert, key, scopes: [`gemini://localhost:${server.port}/bob`] }),
    );
    const c = client({ identities: store });
    assertEquals(await (await c.fetch(server.url("/bob/page"))).text(), "bob\n");
    assertEquals(await (await c.fetch(server.url("/bobby"))).text(), "-\n");
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// proxies

Deno.test("Client refuses http(s) without a proxy and says to name one (no CLI flag)", async () => {
  for (const url of ["https://example.org/", "http://example.org/x"]) {
    const error = await assertRejects(() => client().fetch(url), ClientError);
    assertEquals(error.code, "unsupported-scheme");
    assertStringIncludes(error.message, "name a Gemini proxy for it");
    assertEquals(error.message.includes("--"), false, error.message);
  }
});

Deno.test("Client sends a proxied URL whole as the request line to the proxy", async () => {
  const proxy = await startGeminiServer(({ line, conn }) =>
    answer(conn, "20 text/plain\r\n", `proxied ${line}\n`)
  );
  try {
    const c = client({
      proxies: {
        https: `gemini://localhost:${proxy.port}`,
        gopher: `gemini://localhost:${proxy.port}/`,
      },
    });
    const response = await c.fetch("https://example.org/page?x=1");
    assertEquals(await response.text(), "proxied https://example.org/page?x=1\n");
    assertEquals(response.trust, "first-use");
    const gopher = await c.fetch("gopher://example.org/1/menu");
    assertEquals(await gopher.text(), "proxied gopher://example.org/1/menu\n");
    assertEquals(proxy.lines, ["https://example.org/page?x=1", "gopher://example.org/1/menu"]);
    const bad = await assertRejects(
      () => client({ proxies: { https: "https://proxy.example" } }).fetch("https://a.example/"),
      ClientError,
    );
    assertEquals(bad.code, "bad-url");
  } finally {
    await proxy.close();
  }
});

// ---------------------------------------------------------------------------------------
// gopher

async function startGopherServer(
  items: Record<string, string | Uint8Array>,
): Promise<{ port: number; selectors: string[]; close(): Promise<void> }> {
  const selectors: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let received = "";
    socket.on("data", (chunk) => {
      received += new TextDecoder().decode(chunk);
      const end = received.indexOf("\r\n");
      if (end < 0) return;
      const selector = received.slice(0, end);
      selectors.push(selector);
      socket.end(items[selector] ?? "3Not found\t\terror.host\t1\r\n.\r\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    selectors,
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

Deno.test("Client refuses gopher unless allowed or the onInsecure hook says yes", async () => {
  const gopher = await startGopherServer({ "": "iHello\t\tfake\t0\r\n.\r\n" });
  try {
    const url = `gopher://127.0.0.1:${gopher.port}/`;
    const error = await assertRejects(() => client().fetch(url), ClientError);
    assertEquals(error.code, "insecure-refused");
    assertEquals(error.message, `${url} is gopher, which is not encrypted`);
    assertEquals(gopher.selectors, []);
    const asked: string[] = [];
    const response = await client({
      hooks: {
        onInsecure: (u) => {
          asked.push(u.href);
          return Promise.resolve(true);
        },
      },
    }).fetch(url);
    assertEquals(response.status, 20);
    await response.bytes();
    assertEquals(asked, [url]);
  } finally {
    await gopher.close();
  }
});

Deno.test("Client turns a gopher menu into gemtext and serves text and binaries by type", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
  const gopher = await startGopherServer({
    "": "iWelcome\tfake\tfake\t0\r\n0About us\t/about.txt\t127.0.0.1\t70\r\n" +
      "1Sub menu\t/sub\texample.org\t7070\r\nIPicture\t/pic.png\t127.0.0.1\t70\r\n.\r\n",
    "/about.txt": "Line one\r\n..dotted\r\n.\r\n",
    "/pic.png": png,
    "/find\tgemini words": "iResult\t\tfake\t0\r\n.\r\n",
  });
  try {
    const c = client({ allowGopher: true });
    const base = `gopher://127.0.0.1:${gopher.port}`;
    const menu = await c.fetch(`${base}/`);
    assertEquals([menu.status, menu.meta], [20, "text/gemini; charset=utf-8"]);
    assertEquals(menu.trust, undefined);
    assertEquals(menu.tls, undefined);
    const gemtext = await menu.text();
    assertStringIncludes(gemtext, "Welcome");
    assertStringIncludes(gemtext, "=> gopher://127.0.0.1/0/about.txt About us");
    assertStringIncludes(gemtext, "=> gopher://example.org:7070/1/sub Sub menu");
    const text = await c.fetch(`${base}/0/about.txt`);
    assertEquals(text.mediaType?.essence, "text/plain");
    assertEquals(await text.text(), "Line one\n.dotted\n");
    const picture = await c.fetch(`${base}/I/pic.png`);
    assertEquals(picture.mediaType?.essence, "image/png");
    assertEquals(await picture.bytes(), png);
    const search = await c.fetch(`${base}/7/find`, { input: "gemini words" });
    assertEquals(search.status, 20);
    assertStringIncludes(await search.text(), "Result");
    const unanswered = await c.fetch(`${base}/7/find`);
    assertEquals(unanswered.status, 10);
    assertEquals(gopher.selectors, ["", "/about.txt", "/pic.png", "/find\tgemini words"]);
  } finally {
    await gopher.close();
  }
});

Deno.test("Client follows a redirect to gopher only with allowSchemeChange", async () => {
  const gopher = await startGopherServer({ "/x": "just text\r\n.\r\n" });
  const server = await startGeminiServer(({ conn }) =>
    answer(conn, `30 gopher://127.0.0.1:${gopher.port}/0/x\r\n`)
  );
  try {
    const refused = await assertRejects(() => client().fetch(server.url("/")), ClientError);
    assertEquals(refused.code, "scheme-change");
    const response = await client({ allowSchemeChange: true, allowGopher: true })
      .fetch(server.url("/"));
    assertEquals(await response.text(), "just text\n");
    assertEquals(response.redirects.map((u) => u.href), [server.url("/")]);
  } finally {
    await server.close();
    await gopher.close();
  }
});

Deno.test("Client times out a gopher server that goes silent (menu, text and binary items)", async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("data", (chunk) => {
      // A text item starts and stalls; everything else never answers.
      if (new TextDecoder().decode(chunk).startsWith("/part")) socket.write("partial ");
    });
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const c = client({ allowGopher: true, headerTimeoutMs: 100, idleTimeoutMs: 100 });
    for (const path of ["/1/", "/0/silent.txt", "/0/part", "/9/file.bin"]) {
      const error = await assertRejects(
        async () => await (await c.fetch(`gopher://127.0.0.1:${port}${path}`)).bytes(),
        ClientError,
      );
      assertEquals(error.code, "timeout", path);
      assertStringIncludes(error.message, "100 ms");
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

Deno.test("Client: a gopher fetch whose signal has aborted stops before it connects", async () => {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.end("iHello\t\tfake\t0\r\n.\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const c = client({ allowGopher: true });
    const controller = new AbortController();
    controller.abort();
    const error = await assertRejects(
      () => c.fetch(`gopher://127.0.0.1:${port}/`, { signal: controller.signal }),
      ClientError,
    );
    assertEquals(error.code, "aborted");
    assertStringIncludes(error.message, `Connection to 127.0.0.1:${port} aborted`);
    // Without the abort the same fetch connects and reads the menu.
    const menu = await c.fetch(`gopher://127.0.0.1:${port}/`);
    assertStringIncludes(await menu.text(), "Hello");
    assertEquals(connections, 1);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
