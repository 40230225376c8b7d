import { assertEquals } from "../../_helpers/assert.ts";
import {
  BrowseStore,
  formatBookmarks,
  MAX_HISTORY,
  parseBookmarks,
} from "../../../lib/cli/browse/store.ts";

async function withStore(fn: (store: BrowseStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(new BrowseStore(`${dir}/data`), `${dir}/data`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bookmarks are a gemtext page: add, retitle, remove, survive a new store", async () => {
  await withStore(async (store, dir) => {
    assertEquals(await store.bookmarks(), []);
    await store.addBookmark({ url: "gemini://a/", title: "A" });
    await store.addBookmark({ url: "gemini://b/", title: "B\nwith newline" });
    await store.addBookmark({ url: "gemini://a/", title: "A again" });
    assertEquals(
      await Deno.readTextFile(`${dir}/bookmarks.gmi`),
      "# Bookmarks\n\n=> gemini://b/ B with newline\n=> gemini://a/ A again\n",
    );
    assertEquals((await new BrowseStore(dir).bookmarks()).map((b) => b.url), [
      "gemini://b/",
      "gemini://a/",
    ]);
    assertEquals(await store.removeBookmark("gemini://b/"), true);
    assertEquals(await store.removeBookmark("gemini://b/"), false);
    assertEquals(await store.bookmarks(), [{ url: "gemini://a/", title: "A again" }]);
  });
});

Deno.test("parseBookmarks() reads link lines and ignores the rest", () => {
  const text = formatBookmarks([{ url: "gemini://x/", title: "X" }]) + "some text\n=> /y\n";
  assertEquals(parseBookmarks(text), [
    { url: "gemini://x/", title: "X" },
    { url: "/y", title: "/y" },
  ]);
});

Deno.test("history keeps the newest visit of each URL first, at most MAX_HISTORY", async () => {
  await withStore(async (store) => {
    await store.addVisit({ url: "gemini://a/", time: "2026-01-01T00:00:00Z" });
    await store.addVisit({ url: "gemini://b/", title: "B", time: "2026-01-02T00:00:00Z" });
    await store.addVisit({ url: "gemini://a/", time: "2026-01-03T00:00:00Z" });
    assertEquals((await store.history()).map((v) => v.url), ["gemini://a/", "gemini://b/"]);
    for (let i = 0; i < MAX_HISTORY + 5; i++) {
      // Bounded: MAX_HISTORY + 5 writes.
      if (i % 200 === 0 || i > MAX_HISTORY) {
        await store.addVisit({ url: `gemini://h/${i}`, time: "2026-01-04T00:00:00Z" });
      }
    }
    assertEquals((await store.history()).length <= MAX_HISTORY, true);
  });
});

Deno.test("the last session URL, subscriptions and insecure hosts persist", async () => {
  await withStore(async (store, dir) => {
    assertEquals(await store.lastUrl(), undefined);
    await store.setLastUrl("gemini://last/");
    assertEquals(await new BrowseStore(dir).lastUrl(), "gemini://last/");
    assertEquals(await store.subscriptions(), { feeds: [], seen: [] });
    await store.updateSubscriptions((s) => ({
      feeds: [...s.feeds, { url: "gemini://f/", title: "F" }],
      seen: ["gemini://f/1"],
    }));
    assertEquals(await new BrowseStore(dir).subscriptions(), {
      feeds: [{ url: "gemini://f/", title: "F" }],
      seen: ["gemini://f/1"],
    });
    await store.addInsecureHost("gopher://h:70");
    await store.addInsecureHost("gopher://h:70");
    assertEquals(await store.insecureHosts(), ["gopher://h:70"]);
  });
});

Deno.test("a corrupt store file reads as empty instead of failing", async () => {
  await withStore(async (store, dir) => {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/history.json`, "{not json");
    await Deno.writeTextFile(`${dir}/session.json`, "[]");
    assertEquals(await store.history(), []);
    assertEquals(await store.lastUrl(), undefined);
  });
});

Deno.test("moveBookmark() follows a permanent redirect, keeping title and place, never a duplicate", async () => {
  await withStore(async (store) => {
    await store.addBookmark({ url: "gemini://a/", title: "A" });
    await store.addBookmark({ url: "gemini://old/", title: "Old" });
    await store.addBookmark({ url: "gemini://c/", title: "C" });
    assertEquals(await store.moveBookmark("gemini://old/", "gemini://new/"), true);
    assertEquals(await store.bookmarks(), [
      { url: "gemini://a/", title: "A" },
      { url: "gemini://new/", title: "Old" },
      { url: "gemini://c/", title: "C" },
    ]);
    assertEquals(await store.moveBookmark("gemini://old/", "gemini://new/"), false);
    assertEquals(await store.moveBookmark("gemini://new/", "gemini://new/"), false);
    // The target is bookmarked already: the moved one goes.
    assertEquals(await store.moveBookmark("gemini://a/", "gemini://c/"), true);
    assertEquals((await store.bookmarks()).map((b) => b.url), ["gemini://new/", "gemini://c/"]);
  });
});
