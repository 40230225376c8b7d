import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { answer, withGeminiServer } from "../_helpers/gemini_server.ts";
import { memoryClient as client } from "../_helpers/memory_stores.ts";
import { ClientError } from "../../lib/client/types.ts";

// Edge case 46: a 31 is remembered for the life of a Client, a 30 is not.

function pathOf(line: string): string {
  return new URL(line).pathname;
}

Deno.test("Client remembers a 31: the next fetch of the old URL goes straight to the new one", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/old") return answer(conn, "31 /new\r\n");
    return answer(conn, "20 text/plain\r\n", `at ${path}\n`);
  }, async (server) => {
    const moves: string[] = [];
    const c = client({
      hooks: { onPermanentRedirect: ({ from, to }) => void moves.push(`${from.href} ${to.href}`) },
    });
    const first = await c.fetch(server.url("/old"));
    assertEquals(await first.text(), "at /new\n");
    assertEquals(first.redirects.map((u) => u.href), [server.url("/old")]);
    assertEquals(c.movedPermanently(server.url("/old"))?.href, server.url("/new"));
    assertEquals(moves, [`${server.url("/old")} ${server.url("/new")}`]);

    const second = await c.fetch(server.url("/old"));
    assertEquals(await second.text(), "at /new\n");
    // Reported like the first time, but the server never saw the old URL again.
    assertEquals(second.url.href, server.url("/new"));
    assertEquals(second.redirects.map((u) => u.href), [server.url("/old")]);
    assertEquals(server.lines, [server.url("/old"), server.url("/new"), server.url("/new")]);
    assertEquals(moves.length, 1);

    // Another client (another run) asks the old URL again.
    await (await client().fetch(server.url("/old"))).bytes();
    assertEquals(server.lines.slice(3), [server.url("/old"), server.url("/new")]);
  });
});

Deno.test("Client does not remember a 30: the old URL is asked every time", async () => {
  await withGeminiServer(
    ({ line, conn }) =>
      pathOf(line) === "/temp"
        ? answer(conn, "30 /elsewhere\r\n")
        : answer(conn, "20 text/plain\r\n", "here\n"),
    async (server) => {
      const moves: string[] = [];
      const c = client({ hooks: { onPermanentRedirect: ({ to }) => void moves.push(to.href) } });
      for (let i = 0; i < 2; i++) await (await c.fetch(server.url("/temp"))).bytes();
      assertEquals(server.lines, [
        server.url("/temp"),
        server.url("/elsewhere"),
        server.url("/temp"),
        server.url("/elsewhere"),
      ]);
      assertEquals(c.movedPermanently(server.url("/temp")), undefined);
      assertEquals(moves, []);
    },
  );
});

Deno.test("Client follows remembered 31s in a chain, counted against maxRedirects", async () => {
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/a") return answer(conn, "31 /b\r\n");
    if (path === "/b") return answer(conn, "31 /c\r\n");
    return answer(conn, "20 text/plain\r\n", `at ${path}\n`);
  }, async (server) => {
    const c = client({ maxRedirects: 2 });
    await (await c.fetch(server.url("/a"))).bytes();
    const again = await c.fetch(server.url("/a"));
    assertEquals(await again.text(), "at /c\n");
    assertEquals(again.redirects.map((u) => pathOf(u.href)), ["/a", "/b"]);
    assertEquals(server.lines.map(pathOf), ["/a", "/b", "/c", "/c"]);
    // The hop to /b was learnt on the way: fetching /b skips it too.
    await (await c.fetch(server.url("/b"))).bytes();
    assertEquals(server.lines.map(pathOf), ["/a", "/b", "/c", "/c", "/c"]);
    const strict = client({ maxRedirects: 1 });
    await (await strict.fetch(server.url("/b"))).bytes();
    const error = await assertRejects(() => strict.fetch(server.url("/a")), ClientError);
    assertEquals(error.code, "too-many-redirects");
  });
});

Deno.test("Client asks onRedirect again for a remembered 31 to another host; a no returns the 31 unsent", async () => {
  await withGeminiServer(({ line, conn }) => {
    const url = new URL(line);
    if (url.hostname === "localhost") {
      return answer(conn, `31 gemini://127.0.0.1:${url.port}/moved\r\n`);
    }
    return answer(conn, "20 text/plain\r\n", "moved\n");
  }, async (server) => {
    let allow = true;
    const asked: string[] = [];
    const c = client({
      hooks: {
        onRedirect: ({ to }) => (asked.push(to.href), Promise.resolve(allow)),
      },
    });
    await (await c.fetch(server.url("/"))).bytes();
    allow = false;
    const declined = await c.fetch(server.url("/"));
    assertEquals(declined.status, 31);
    assertEquals(declined.meta, `gemini://127.0.0.1:${server.port}/moved`);
    assertEquals(declined.url.href, server.url("/"));
    assertEquals(await declined.bytes(), new Uint8Array());
    assertEquals(asked.length, 2);
    assertEquals(server.lines.length, 2);
  });
});

Deno.test("Client forgets remembered 31s that now close a loop, and asks the servers again", async () => {
  let moved = false;
  await withGeminiServer(({ line, conn }) => {
    const path = pathOf(line);
    if (path === "/a") return answer(conn, "31 /b\r\n");
    // /b is first a page, then (the capsule changed) a permanent redirect back to /a.
    if (path === "/b" && moved) return answer(conn, "31 /a\r\n");
    return answer(conn, "20 text/plain\r\n", `at ${path}\n`);
  }, async (server) => {
    const c = client();
    await (await c.fetch(server.url("/a"))).bytes();
    moved = true;
    const error = await assertRejects(() => c.fetch(server.url("/a")), ClientError);
    assertEquals(error.code, "redirect-loop");
    assertEquals(c.movedPermanently(server.url("/a")), undefined);
    assertEquals(c.movedPermanently(server.url("/b")), undefined);
    moved = false;
    await (await c.fetch(server.url("/a"))).bytes();
    assertEquals(server.lines.map(pathOf), ["/a", "/b", "/b", "/a", "/b"]);
  });
});
