/**
 * The client's side of the `gemini get` contract: one retry budget and one wait budget
 * (planRetry at its limits, and counted at a real server), input answers never re-sent
 * unless asked, redirects that can be returned instead of followed, and what a failure
 * knows (ClientError.context) and what a trust check reports (TrustReport).
 */

import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { answer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { memoryClient as client, MemoryKnownHosts } from "../_helpers/memory_stores.ts";
import { DEFAULT_MAX_WAIT_SECONDS, DEFAULT_RETRIES, planRetry } from "../../lib/client/retry.ts";
import { ClientError } from "../../lib/client/types.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";

function pathOf(line: string): string {
  const url = new URL(line);
  return url.pathname + url.search;
}

Deno.test("planRetry(): one budget of retries and one of waiting, at their exact limits", () => {
  assertEquals([DEFAULT_RETRIES, DEFAULT_MAX_WAIT_SECONDS], [3, 30]);
  const none = { count: 0, waitedSeconds: 0 };
  const table: [
    number,
    string,
    { count: number; waitedSeconds: number },
    boolean,
    object,
    unknown,
  ][] = [
    // 44 waits what it names; the default budget of 30 s holds one `44 30`, not a second.
    [44, "30", none, false, {}, { retry: true, seconds: 30 }],
    [44, "31", none, false, {}, { retry: false, stopped: "max-wait" }],
    [44, "30", { count: 1, waitedSeconds: 30 }, false, {}, { retry: false, stopped: "max-wait" }],
    [44, "0", { count: 1, waitedSeconds: 30 }, false, {}, { retry: true, seconds: 0 }],
    // Anything else backs off 1, 2, 4 s by the retries made, 40/41/43 and 44 alike.
    [44, "slow down", none, false, {}, { retry: true, seconds: 1 }],
    [40, "", { count: 1, waitedSeconds: 1 }, false, {}, { retry: true, seconds: 2 }],
    [43, "", { count: 2, waitedSeconds: 3 }, false, {}, { retry: true, seconds: 4 }],
    [41, "", { count: 3, waitedSeconds: 7 }, false, {}, { retry: false, stopped: "retries" }],
    [41, "", { count: 3, waitedSeconds: 7 }, false, { retries: 4 }, { retry: true, seconds: 8 }],
    // retries 0: never; max-wait 0: only a wait of 0.
    [44, "0", none, false, { retries: 0 }, { retry: false, stopped: "retries" }],
    [40, "", none, false, { maxWaitSeconds: 0 }, { retry: false, stopped: "max-wait" }],
    [44, "0", none, false, { maxWaitSeconds: 0 }, { retry: true, seconds: 0 }],
    // A request with the user's input is not re-sent unless asked.
    [44, "0", none, true, {}, { retry: false, stopped: "input" }],
    [40, "", none, true, { retryInput: true }, { retry: true, seconds: 1 }],
    // Undefined codes go by their class: 49 as 40; 42, 5x and 6x are never retried.
    [49, "", none, false, {}, { retry: true, seconds: 1 }],
    [42, "", none, false, {}, undefined],
    [51, "", none, false, {}, undefined],
    [20, "text/gemini", none, false, {}, undefined],
  ];
  for (const [status, meta, done, input, policy, expected] of table) {
    assertEquals(
      planRetry(status, meta, done, input, policy),
      expected,
      `${status} ${meta} ${JSON.stringify(done)} ${input} ${JSON.stringify(policy)}`,
    );
  }
});

Deno.test("Client with retries 0 sends a request once, whatever the temporary failure", async () => {
  for (const header of ["40 busy", "41 down", "43 proxy", "44 0", "49 odd"]) {
    await withGeminiServer(({ conn }) => answer(conn, `${header}\r\n`), async (server) => {
      const response = await client({ retries: 0 }).fetch(server.url("/"));
      assertEquals(response.status, Number(header.slice(0, 2)));
      assertEquals(server.lines.length, 1, header);
      assertEquals(response.retries, { count: 0, waitedSeconds: 0, stopped: "retries" });
    });
  }
});

Deno.test("Client counts 44 and 40/41/43 against the same retries", async () => {
  // 41 (waits 1 s), then 44 0 twice: three retries of a budget of two stop at the 44.
  const answers = ["41 down", "44 0", "44 0", "20 text/plain"];
  await withGeminiServer(
    ({ conn, index }) => answer(conn, `${answers[index] ?? "20 text/plain"}\r\n`, "ok\n"),
    async (server) => {
      const response = await client({ retries: 2 }).fetch(server.url("/"));
      assertEquals(response.status, 44);
      assertEquals(response.retries, { count: 2, waitedSeconds: 1, stopped: "retries" });
      assertEquals(server.lines.length, 3);
    },
  );
});

Deno.test("Client never re-sends an input answer automatically; retryInput allows it", async () => {
  await withGeminiServer(({ line, conn }) => {
    return pathOf(line) === "/post" ? answer(conn, "10 Message?\r\n") : answer(conn, "44 0\r\n");
  }, async (server) => {
    const once = await client().fetch(server.url("/post"), { input: "hello" });
    assertEquals([once.status, once.retries?.stopped], [44, "input"]);
    assertEquals(server.lines.map(pathOf), ["/post", "/post?hello"]);
    // An answer typed at the prompt (the onInput hook) is the same.
    const typed = await client({ hooks: { onInput: () => Promise.resolve("typed") } })
      .fetch(server.url("/post"));
    assertEquals(typed.retries?.stopped, "input");
    assertEquals(server.lines.filter((l) => pathOf(l) === "/post?typed").length, 1);
    const asked = await client({ retryInput: true, retries: 2 }).fetch(server.url("/post"), {
      input: "again",
    });
    assertEquals(asked.retries, { count: 2, waitedSeconds: 0, stopped: "retries" });
    assertEquals(server.lines.filter((l) => pathOf(l) === "/post?again").length, 3);
  });
});

Deno.test("Client with followRedirects false or maxRedirects 0 returns the 3x, after checking its target", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/old") return answer(conn, "30 /new\r\n");
    if (path === "/gone") return answer(conn, "31 gemini://example.org/\r\n");
    if (path === "/broken") return answer(conn, "30 \r\n");
    return answer(conn, "20 text/plain\r\n", "new\n");
  }, async (server) => {
    const kept = await client({ followRedirects: false }).fetch(server.url("/old"));
    assertEquals([kept.status, kept.meta, kept.redirects], [30, "/new", []]);
    assertEquals(await kept.bytes(), new Uint8Array());
    const zero = await client({ maxRedirects: 0 }).fetch(server.url("/gone"));
    assertEquals([zero.status, zero.meta], [31, "gemini://example.org/"]);
    assertEquals(server.lines.map(pathOf), ["/old", "/gone"]);
    const error = await assertRejects(
      () => client({ followRedirects: false }).fetch(server.url("/broken")),
      ClientError,
    );
    assertEquals(error.code, "bad-header");
    // By default the same 30 is followed.
    const followed = await client().fetch(server.url("/old"));
    assertEquals([followed.status, followed.url.pathname], [20, "/new"]);
    assertEquals(await followed.text(), "new\n");
  });
});

Deno.test("ClientError.context holds the URL, the redirects and the last connection's certificate and trust", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/a") return answer(conn, "30 /b\r\n");
    if (path === "/b") return answer(conn, "30 /a\r\n");
    return answer(conn, "2x nonsense\r\n");
  }, async (server) => {
    const c = client();
    const loop = await assertRejects(() => c.fetch(server.url("/a")), ClientError);
    assertEquals(loop.code, "redirect-loop");
    assertEquals(loop.context?.url.href, server.url("/b"));
    assertEquals(loop.context?.redirects.map((u) => u.href), [server.url("/a")]);
    assert(loop.context?.certificate?.spkiSha256);
    assertEquals(loop.context?.trust?.verdict, "match");
    assertEquals(loop.context?.tls?.version, "TLSv1.3");
    const bad = await assertRejects(() => c.fetch(server.url("/bad")), ClientError);
    assertEquals(bad.code, "bad-header");
    assertEquals(bad.context?.url.href, server.url("/bad"));
    assertEquals(bad.context?.redirects, []);
    assertEquals(bad.context?.trust?.pinned?.spkiSha256, loop.context?.certificate?.spkiSha256);
  });
  const refused = await assertRejects(
    () => client({ connectTimeoutMs: 2000 }).fetch("gemini://127.0.0.1:1/"),
    ClientError,
  );
  assertEquals(refused.context?.url.href, "gemini://127.0.0.1:1/");
  assertEquals(refused.context?.certificate, undefined);
});

Deno.test("Client responses carry the whole trust check: the pin compared with and its first-seen date", async () => {
  const old = await generateCertificate("localhost", { altNames: ["localhost"] });
  const next = await generateCertificate("localhost", { altNames: ["localhost"] });
  await withGeminiServer(
    ({ conn }) => answer(conn, "20 text/plain\r\n", "hi\n"),
    async (server) => {
      const knownHosts = new MemoryKnownHosts();
      const first = await client({ knownHosts }).fetch(server.url("/"));
      await first.bytes();
      assertEquals(first.trustReport?.verdict, "first-use");
      assertEquals(first.trustReport?.pinned, undefined);
      const firstSeen = first.trustReport?.firstSeen;
      assert(firstSeen);
      const again = await client({ knownHosts }).fetch(server.url("/"));
      await again.bytes();
      assertEquals(again.trustReport?.pinned?.spkiSha256, old.info.spkiSha256);
      assertEquals(again.trustReport?.firstSeen, firstSeen);
      server.listener.setCertificates([{ cert: next.cert, key: next.key }]);
      const changed = await assertRejects(
        () => client({ knownHosts }).fetch(server.url("/")),
        ClientError,
      );
      assertEquals(changed.code, "trust-changed");
      assertEquals(changed.context?.certificate?.spkiSha256, next.info.spkiSha256);
      assertEquals(changed.change?.pinned.firstSeen, firstSeen);
    },
    { certificate: old },
  );
});
