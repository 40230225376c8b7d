import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { fakeResponse as response, until } from "../../_helpers/fake_response.ts";
import { MemoryIdentityStore } from "../../_helpers/memory_stores.ts";
import {
  Browser,
  certificateChangeDetails,
  downloadName,
  type Fetcher,
  groupedFingerprint,
  handlerFor,
  identityScope,
} from "../../../lib/cli/browse/browser.ts";
import { initialState, statusText } from "../../../lib/cli/browse/model.ts";
import { SessionIdentities } from "../../../lib/cli/browse/session_identities.ts";
import { BrowseStore } from "../../../lib/cli/browse/store.ts";
import { ClientError } from "../../../lib/client/types.ts";
import { formatTrustChange } from "../../../lib/client/trust.ts";
import type {
  CertificateChange,
  ClientHooks,
  GeminiResponse,
  Identity,
  RequestOptions,
} from "../../../lib/client/types.ts";
import { type CertificateInfo, generateCertificate } from "../../../lib/tls/certificate.ts";

/** A key change at h.example:1965 from the pinned AB:AB… key to `presented`. */
function keyChange(presented: CertificateInfo): CertificateChange {
  return {
    host: "h.example",
    port: 1965,
    pinned: {
      host: "h.example",
      port: 1965,
      pin: "spki",
      spkiSha256: "ab".repeat(32),
      certSha256: "cd".repeat(32),
      notAfter: "2027-01-01T00:00:00.000Z",
      firstSeen: "2025-01-01T00:00:00.000Z",
      lastSeen: "2026-01-01T00:00:00.000Z",
    },
    presented,
  };
}

type Route = (url: URL, hooks: ClientHooks, options: RequestOptions) => Promise<GeminiResponse>;

interface Harness {
  browser: Browser;
  store: BrowseStore;
  dir: string;
  spawned: string[][];
  identities: MemoryIdentityStore;
  session: SessionIdentities;
}

async function harness(
  routes: Record<string, Route>,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = new BrowseStore(`${dir}/data`);
  const spawned: string[][] = [];
  const identities = new MemoryIdentityStore();
  const session = new SessionIdentities(identities);
  const makeFetcher = (hooks: ClientHooks): Fetcher => async (url, options) => {
    const u = new URL(url);
    if (u.protocol !== "gemini:") {
      throw new ClientError("unsupported-scheme", `Cannot fetch ${u.protocol} URLs`);
    }
    const route = routes[u.pathname];
    if (!route) return response(url, 51, "Not found");
    return await route(u, hooks, options);
  };
  const browser = new Browser({
    makeFetcher,
    store,
    identities: session,
    downloadsDir: `${dir}/downloads`,
    handlers: { "image/*": "viewer" },
    opener: ["xdg-open"],
    spawn: (command) => spawned.push(command),
    render: () => {},
    state: initialState({ width: 60, height: 12 }),
  });
  try {
    await fn({ browser, store, dir, spawned, identities, session });
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
}

const gmi = (body: string): Route => (url) =>
  Promise.resolve(response(url.href, 20, "text/gemini", body));

Deno.test("Browser loads a page, records the visit and the session URL", async () => {
  await harness({ "/": gmi("# Home\n=> /x X\n") }, async ({ browser, store }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    await browser.idle();
    assertEquals(browser.state.page?.title, "Home");
    assertEquals(browser.state.page?.trust, "match");
    assertEquals((await store.history()).map((v) => v.url), ["gemini://h.example/"]);
    assertEquals(await store.lastUrl(), "gemini://h.example/");
  });
});

Deno.test("Browser shows an error page for a failed status; b goes back, R retries", async () => {
  let fails = 0;
  const flaky: Route = (url) => {
    fails++;
    return Promise.resolve(
      fails === 1
        ? response(url.href, 42, "script crashed")
        : response(url.href, 20, "text/gemini", "# Works\n"),
    );
  };
  await harness({ "/": gmi("# Home\n=> /missing M\n=> /cgi C\n") }, async ({ browser, store }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("1");
    browser.dispatch("enter");
    await until(() => browser.state.page?.error, "the error page");
    const page = browser.state.page!;
    assertEquals(page.url, "gemini://h.example/missing");
    assertEquals(page.title, "51 Not found");
    assertStringIncludes(page.body, "The server has no page at this address.");
    assertStringIncludes(page.body, "Press b to go back");
    assertStringIncludes(page.body, "=> gemini://h.example/ Home page of h.example");
    assertStringIncludes(statusText(browser.state), "gemini://h.example/missing │ 51 Not found");
    await browser.idle();
    assertEquals((await store.history()).map((v) => v.url), ["gemini://h.example/"]);
    assert(!browser.state.known.includes("gemini://h.example/missing"));

    browser.dispatch("b");
    await until(() => browser.state.page?.title === "Home", "back home");
  });
  await harness({ "/cgi": flaky }, async ({ browser }) => {
    browser.open("gemini://h.example/cgi");
    await until(() => browser.state.page?.error, "the error page");
    assertEquals(browser.state.page?.title, "42 CGI error");
    assertStringIncludes(browser.state.page!.body, "> script crashed");
    browser.dispatch("R");
    await until(() => browser.state.page?.title === "Works", "the retry");
  });
});

Deno.test("Browser explains client errors on a page: network, trust change; declines are messages", async () => {
  const { info } = await generateCertificate("new.example");
  const change = {
    host: "h.example",
    port: 1965,
    pinned: {
      host: "h.example",
      port: 1965,
      pin: "spki" as const,
      spkiSha256: "ab".repeat(32),
      certSha256: "cd".repeat(32),
      notAfter: "2027-01-01T00:00:00.000Z",
      firstSeen: "2025-01-01T00:00:00.000Z",
      lastSeen: "2026-01-01T00:00:00.000Z",
    },
    presented: info,
  };
  const routes: Record<string, Route> = {
    "/down": () => {
      throw new ClientError("network", "Cannot connect to h.example:1965: connection refused");
    },
    "/changed": () => {
      throw new ClientError("trust-changed", "changed", { change });
    },
    "/gopher": () => {
      throw new ClientError("insecure-refused", "gopher://g.example/ is gopher");
    },
  };
  await harness(routes, async ({ browser }) => {
    browser.open("gemini://h.example/down");
    await until(() => browser.state.page?.error, "the error page");
    assertEquals(browser.state.page?.title, "Cannot connect");
    assertStringIncludes(browser.state.page!.body, "connection refused");
    assertStringIncludes(browser.state.page!.body, "press R to try again");

    browser.open("gemini://h.example/changed");
    await until(() => browser.state.page?.title === "Certificate changed", "the trust page");
    const body = browser.state.page!.body;
    assertStringIncludes(body, "Nothing was sent to the server.");
    assertStringIncludes(body, "AB:AB:AB");
    assertStringIncludes(body, "press R, then o to trust it until you quit or s to");

    browser.open("gemini://h.example/gopher");
    await until(() => !browser.state.loading, "the refusal");
    assertEquals(browser.state.page?.title, "Certificate changed");
    assertEquals(browser.state.message, "Not connected: the scheme is not encrypted");
  });
});

Deno.test("the certificate-changed page labels both fingerprints, fits 40 columns, names browse's keys", async () => {
  const { info } = await generateCertificate("new.example");
  const routes: Record<string, Route> = {
    "/": () => {
      throw new ClientError("trust-changed", formatTrustChange(keyChange(info)), {
        change: keyChange(info),
      });
    },
  };
  await harness(routes, async ({ browser }) => {
    for (const width of [40, 60]) {
      browser.dispatch({ type: "resize", width, height: 40 });
      browser.open("gemini://h.example/");
      await until(() => browser.state.page?.title === "Certificate changed", "the page");
      const body = browser.state.page!.body;
      const rows = browser.state.layout.rows.map((r) => r.plain);
      assert(rows.every((r) => r.length <= width), rows.join("\n"));
      const text = rows.join("\n");
      // Labelled, each fingerprint whole on rows of its own (groups of eight bytes).
      const trusted = rows.findIndex((r) => r.startsWith("Trusted key, SHA-256"));
      const fresh = rows.findIndex((r) => r.startsWith("New key, SHA-256"));
      assert(trusted >= 0 && fresh > trusted, text);
      const groups = groupedFingerprint(info.spkiSha256).split(" ");
      assertEquals(groups.length, 4);
      for (const g of groups) {
        assert(rows.some((r) => r.split(" ").includes(g)), `${g} whole in\n${text}`);
      }
      assertEquals(
        rows.filter((r) => /^[0-9A-F:]{23}( [0-9A-F:]{23})*$/.test(r)).length,
        width === 40 ? 8 : 4,
      );
      // Instructions name browse's keys, not get's flag, and point up at the fingerprints.
      assert(!body.includes("--trust-new"), body);
      assertStringIncludes(
        body,
        "press R, then o to trust it until you quit or s to trust it and save it",
      );
      const todo = rows.findIndex((r) => r.startsWith("What to do:"));
      assert(todo > fresh, "the fingerprints come before the instructions that say above");
      assertStringIncludes(body, "the new one above");
      browser.dispatch("b");
    }
  });
});

Deno.test("Browser asks for input (10) in the prompt line and passes the answer on", async () => {
  const ask: Route = async (url, hooks) => {
    const answer = await hooks.onInput!({ url, prompt: "Name?", sensitive: false });
    if (answer === null) return response(url.href, 10, "Name?");
    return response(`${url.href}?${answer}`, 20, "text/gemini", `# Hi ${answer}\n`);
  };
  await harness({ "/ask": ask }, async ({ browser }) => {
    browser.open("gemini://h.example/ask");
    await until(() => browser.state.prompt?.kind === "input", "the prompt");
    assertEquals(browser.state.prompt?.label, "Name?");
    for (const k of "Bo") browser.dispatch(k);
    browser.dispatch("enter");
    await until(() => browser.state.page, "the page");
    assertEquals(browser.state.page?.title, "Hi Bo");
    browser.open("gemini://h.example/ask");
    await until(() => browser.state.prompt, "the prompt");
    browser.dispatch("escape");
    await until(() => !browser.state.loading, "the end");
    assertEquals(browser.state.message, "Input cancelled");
  });
});

Deno.test("Browser keeps a sensitive answer (11) out of the screen, history and session", async () => {
  const secret: Route = async (url, hooks) => {
    const answer = await hooks.onInput!({ url, prompt: "Password", sensitive: true });
    return response(`${url.href}?${answer}`, 20, "text/gemini", "# In\n");
  };
  await harness({ "/s": secret }, async ({ browser, store }) => {
    browser.open("gemini://h.example/s");
    await until(() => browser.state.prompt?.kind === "secret", "the prompt");
    for (const k of "hunter2") browser.dispatch(k);
    browser.dispatch("enter");
    await until(() => browser.state.page, "the page");
    await browser.idle();
    assertEquals(browser.state.page?.sensitive, true);
    assertEquals(await store.history(), []);
    assertEquals(await store.lastUrl(), undefined);
  });
});

Deno.test("Browser asks about a certificate change and returns the choice", async () => {
  const { info } = await generateCertificate("new.example");
  let decision = "";
  const changed: Route = async (url, hooks) => {
    decision = await hooks.onCertificateChange!(keyChange(info));
    return response(url.href, 20, "text/gemini", "# ok\n", { trust: "changed-accepted" });
  };
  await harness({ "/": changed }, async ({ browser }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    const details = browser.state.prompt!.details!.join("\n");
    assertStringIncludes(details, "AB:AB:AB");
    assertStringIncludes(details, "2027-01-01");
    assertStringIncludes(details, info.spkiSha256.slice(0, 2).toUpperCase());
    browser.dispatch("s");
    await until(() => browser.state.page, "the page");
    assertEquals(decision, "save");
  });
});

Deno.test("certificateChangeDetails() shows both fingerprints and dates", () => {
  const lines = certificateChangeDetails({
    host: "h",
    port: 1965,
    pinned: {
      host: "h",
      port: 1965,
      pin: "spki",
      spkiSha256: "00".repeat(32),
      certSha256: "",
      firstSeen: "2025-02-03T00:00:00Z",
      lastSeen: "2025-02-04T00:00:00Z",
    },
    presented: {
      spkiSha256: "ff".repeat(32),
      certSha256: "",
      subject: "CN=h",
      issuer: "CN=h",
      notBefore: new Date("2026-01-01T00:00:00Z"),
      notAfter: new Date("2027-01-01T00:00:00Z"),
      serialNumber: "01",
      altNames: [],
      keyType: "ec",
      selfSigned: true,
      pem: "",
    },
  });
  const text = lines.join("\n");
  assertStringIncludes(text, "00:00:00");
  assertStringIncludes(text, "FF:FF:FF");
  assertStringIncludes(text, "first seen 2025-02-03");
  assertStringIncludes(text, "valid 2026-01-01 to 2027-01-01");
});

Deno.test("Browser saves a non-text response to the downloads folder, with progress", async () => {
  const data = new Uint8Array(200_000).map((_, i) => i % 251);
  const file: Route = (url) => Promise.resolve(response(url.href, 20, "application/zip", data));
  await harness({ "/f/archive.zip": file }, async ({ browser, dir }) => {
    const messages: string[] = [];
    browser.open("gemini://h.example/f/archive.zip");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertEquals(browser.state.prompt!.label, "archive.zip is application/zip, not text:");
    const original = browser.dispatch.bind(browser);
    browser.dispatch = (e) => {
      original(e);
      messages.push(browser.state.message);
    };
    browser.dispatch("s");
    await until(() => !browser.state.loading, "the download");
    const saved = await Deno.readFile(`${dir}/downloads/archive.zip`);
    assertEquals(saved, data);
    assertStringIncludes(browser.state.message, `to ${dir}/downloads/archive.zip`);
    assert(messages.some((m) => m.startsWith("Saving archive.zip: ")), messages.join("|"));
    assertEquals(browser.state.page, undefined);
    // A second download gets a new name instead of overwriting.
    browser.open("gemini://h.example/f/archive.zip");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("s");
    await until(() => !browser.state.loading, "the download");
    assertEquals((await Deno.readFile(`${dir}/downloads/archive-1.zip`)).length, data.length);
  });
});

Deno.test("Browser opens a non-text response with the handler for its type", async () => {
  const png: Route = (url) => Promise.resolve(response(url.href, 20, "image/png", "PNG"));
  await harness({ "/a.png": png }, async ({ browser, dir, spawned }) => {
    browser.open("gemini://h.example/a.png");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("o");
    await until(() => !browser.state.loading, "the opener");
    assertEquals(spawned, [["viewer", `${dir}/downloads/a.png`]]);
  });
});

Deno.test("handlerFor() picks exact type, then type/*, then *; downloadName() cleans names", () => {
  const handlers = { "image/png": "a", "image/*": "b", "*": "c" };
  assertEquals(handlerFor(handlers, "image/png; x=1"), "a");
  assertEquals(handlerFor(handlers, "image/gif"), "b");
  assertEquals(handlerFor(handlers, "audio/ogg"), "c");
  assertEquals(handlerFor({}, "audio/ogg"), undefined);
  assertEquals(downloadName("gemini://h/a/b%20c.ogg", "audio/ogg"), "b c.ogg");
  assertEquals(downloadName("gemini://h/", "image/png"), "download.png");
  // A name without an extension gets the usual one of its media type.
  assertEquals(downloadName("gemini://h/archive", "application/zip"), "archive.zip");
  assertEquals(downloadName("gemini://h/blob", "application/octet-stream"), "blob");
  assertEquals(downloadName("gemini://h/..%2F..%2Fetc", "text/x"), "_.._etc");
  assertEquals(identityScope(new URL("gemini://h:1966/app/x?q")), "gemini://h:1966/app/x");
});

Deno.test("Browser offers identities for 60: transient, new (stored) and existing", async () => {
  const used: (Identity | null)[] = [];
  const needsCert: Route = async (url, hooks) => {
    const identity = await hooks.onIdentityRequired!({ url, status: 60, meta: "Cert please" });
    used.push(identity);
    return identity
      ? response(url.href, 20, "text/gemini", `# Hello ${identity.name}\n`, {
        identity: identity.name,
      })
      : response(url.href, 60, "Cert please");
  };
  await harness({ "/app": needsCert }, async ({ browser, identities, session }) => {
    browser.open("gemini://h.example/app");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    const details = browser.state.prompt!.details!.join("\n");
    assertStringIncludes(details, "h.example asks for a client certificate (an identity)");
    assertStringIncludes(details, "used for gemini://h.example/app and below");
    assertStringIncludes(details, "[t] a transient identity, forgotten when the browser quits");
    browser.dispatch("t");
    await until(() => browser.state.page, "the page");
    assert(used[0]?.name.startsWith("transient-"));
    assertEquals(await identities.list(), []);
    // The transient identity stays in use for its scope until the browser quits.
    const again = await session.forUrl(new URL("gemini://h.example/app/deeper"));
    assertEquals(again?.name, used[0]?.name);
    assertEquals(await session.forUrl(new URL("gemini://h.example/other")), undefined);

    browser.open("gemini://h.example/app");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("n");
    await until(() => browser.state.prompt?.kind === "text", "the name prompt");
    for (const k of "alice") browser.dispatch(k);
    browser.dispatch("enter");
    await until(() => used.length === 2, "the identity");
    await until(() => !browser.state.loading, "the page");
    assertEquals(used[1]?.name, "alice");
    assertEquals((await identities.get("alice"))?.scopes, ["gemini://h.example/app"]);
    assertEquals(browser.state.page?.identity, "alice");

    browser.open("gemini://h.example/app");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertStringIncludes(browser.state.prompt!.details!.join("\n"), "[1] alice");
    browser.dispatch("1");
    await until(() => used.length === 3, "the identity");
    assertEquals(used[2]?.name, "alice");

    browser.open("gemini://h.example/app");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("escape");
    await until(() => !browser.state.loading, "the end");
    assertEquals(used[3], null);
    assertEquals(browser.state.page?.title, "60 Client certificate required");
    assertStringIncludes(browser.state.page!.body, "> Cert please");
  });
});

Deno.test("Browser asks before a cross-host redirect and before unencrypted schemes", async () => {
  const answers: boolean[] = [];
  const redirect: Route = async (url, hooks) => {
    answers.push(
      await hooks.onRedirect!({ from: url, to: new URL("gemini://elsewhere.example/") }),
    );
    return response(url.href, 20, "text/gemini", "# r\n");
  };
  const gopher: Route = async (url, hooks) => {
    answers.push(await hooks.onInsecure!(new URL("gopher://g.example/1/")));
    return response(url.href, 20, "text/gemini", "# g\n");
  };
  await harness({ "/r": redirect, "/g": gopher }, async ({ browser, store }) => {
    browser.open("gemini://h.example/r");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertEquals(
      browser.state.prompt!.label,
      "h.example redirects to another host: gemini://elsewhere.example/ — follow?",
    );
    browser.dispatch("n");
    await until(() => answers.length === 1, "the answer");
    assertEquals(answers, [false]);

    browser.open("gemini://h.example/g");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertStringIncludes(browser.state.prompt!.label, "NOT encrypted");
    browser.dispatch("y");
    await until(() => answers.length === 2, "the answer");
    assertEquals(await store.insecureHosts(), []);

    browser.open("gemini://h.example/g");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("a");
    await until(() => answers.length === 3, "the answer");
    await browser.idle();
    assertEquals(await store.insecureHosts(), ["gopher://g.example"]);

    browser.open("gemini://h.example/g");
    await until(() => answers.length === 4, "the remembered answer");
    assertEquals(answers, [false, true, true, true]);
  });
});

Deno.test("Browser remembers 'always for this host' across sessions, and only that", async () => {
  const dir = await Deno.makeTempDir();
  const store = new BrowseStore(`${dir}/data`);
  await store.addInsecureHost("gopher://g.example");
  const prompts: string[] = [];
  const browser = new Browser({
    makeFetcher: () => () => Promise.reject(new Error("unused")),
    store,
    downloadsDir: `${dir}/downloads`,
    render: (s) => {
      if (s.prompt) prompts.push(s.prompt.label);
    },
    state: initialState({ width: 60, height: 12 }),
  });
  try {
    await browser.loadStores();
    assertEquals(await browser.hooks.onInsecure!(new URL("gopher://g.example/1/")), true);
    assertEquals(prompts, []);
    // Another host is asked about.
    const other = browser.hooks.onInsecure!(new URL("gopher://other.example/"));
    await until(() => browser.state.prompt, "the prompt");
    browser.dispatch("n");
    assertEquals(await other, false);
    assertEquals(prompts.length, 1);
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Browser bookmarks and lists bookmarks, history and help as pages", async () => {
  await harness({ "/": gmi("# Home\n") }, async ({ browser, store }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("B");
    await browser.idle();
    assertEquals(await store.bookmarks(), [{ url: "gemini://h.example/", title: "Home" }]);
    browser.dispatch("m");
    await until(() => browser.state.page?.url === "about:bookmarks", "bookmarks");
    assertEquals(browser.state.layout.links[0].url, "gemini://h.example/");
    browser.dispatch("h");
    await until(() => browser.state.page?.url === "about:history", "history");
    assertEquals(browser.state.layout.links[0].url, "gemini://h.example/");
    browser.dispatch("?");
    await until(() => browser.state.page?.url === "about:help", "help");
    assertStringIncludes(browser.state.page!.body, "follow link N");
  });
});

Deno.test("Browser subscribes to a feed and lists new entries across subscriptions", async () => {
  let feed = "# My log\n=> /e1 2026-01-01 First\n=> /about About\n";
  const log: Route = (url) => Promise.resolve(response(url.href, 20, "text/gemini", feed));
  await harness({ "/log": log, "/e1": gmi("# e1\n"), "/plain": gmi("no dates\n") }, async (h) => {
    const { browser, store } = h;
    browser.open("gemini://h.example/plain");
    await until(() => browser.state.page, "the page");
    browser.dispatch("s");
    await browser.idle();
    assertStringIncludes(browser.state.message, "Not a feed");

    browser.open("gemini://h.example/log");
    await until(() => browser.state.page?.url.endsWith("/log"), "the feed");
    browser.dispatch("s");
    await browser.idle();
    assertEquals((await store.subscriptions()).feeds, [
      { url: "gemini://h.example/log", title: "My log" },
    ]);
    feed += "=> /e2 2026-02-01 Second\n";
    browser.dispatch("1");
    browser.dispatch("enter");
    await until(() => browser.state.page?.url.endsWith("/e1"), "entry 1");
    await browser.idle();
    const progress: string[] = [];
    const original = browser.dispatch.bind(browser);
    browser.dispatch = (e) => {
      original(e);
      if (browser.state.progress) progress.push(browser.state.progress);
    };
    browser.dispatch("S");
    await until(() => browser.state.page?.url === "about:subscriptions", "subscriptions");
    assertEquals(progress, ["Checking My log (1 of 1)…"]);
    const links = browser.state.layout.links.map((l) => l.url);
    assert(links.includes("gemini://h.example/e2"));
    assert(!links.includes("gemini://h.example/e1"), "visited entries are not new");
    assertStringIncludes(browser.state.page!.body, "2026-02-01 My log: Second");
    assertStringIncludes(browser.state.page!.body, "## 1 new entry\n");
    browser.dispatch = original;
    const markRead = browser.state.layout.links.findIndex((l) => l.url.endsWith("?read"));
    for (const k of String(markRead + 1)) browser.dispatch(k);
    browser.dispatch("enter");
    await until(() => browser.state.page?.body.includes("marked as read"), "marked read");
    assertEquals(browser.state.page?.url, "about:subscriptions");
    assertEquals(browser.state.back.at(-1)?.url, "gemini://h.example/e1");
    const seenNow = (await store.subscriptions()).seen;
    assert(seenNow.includes("gemini://h.example/e2"));
  });
});

Deno.test("Browser offers the system opener for links it cannot fetch", async () => {
  await harness({ "/": gmi("# Home\n=> https://example.com/ Web\n") }, async (h) => {
    const { browser, spawned } = h;
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("1");
    browser.dispatch("enter");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertEquals(browser.state.prompt!.label, "Open https://example.com/ with xdg-open?");
    browser.dispatch("n");
    await until(() => !browser.state.loading, "the answer");
    assertEquals(spawned, []);
    browser.dispatch("1");
    browser.dispatch("enter");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the answer");
    assertEquals(spawned, [["xdg-open", "https://example.com/"]]);
    assertEquals(browser.state.page?.title, "Home");
  });
});

Deno.test("Browser offers to open the target of a redirect to https, not the link", async () => {
  const toWeb: Route = async (url, hooks) => {
    const to = new URL("https://example.com/moved");
    if (!(await hooks.onRedirect!({ from: url, to }))) {
      throw new ClientError("scheme-change", "not followed");
    }
    throw new ClientError("unsupported-scheme", "https is not fetched");
  };
  await harness({ "/web": toWeb }, async ({ browser, spawned }) => {
    browser.open("gemini://h.example/web");
    await until(() => browser.state.prompt?.kind === "choice", "the redirect prompt");
    browser.dispatch("y");
    await until(() => browser.state.prompt?.label.startsWith("Open"), "the opener prompt");
    assertEquals(browser.state.prompt!.label, "Open https://example.com/moved with xdg-open?");
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the answer");
    assertEquals(spawned, [["xdg-open", "https://example.com/moved"]]);

    browser.open("gemini://h.example/web");
    await until(() => browser.state.prompt?.kind === "choice", "the redirect prompt");
    browser.dispatch("n");
    await until(() => !browser.state.loading, "the refusal");
    assertEquals(browser.state.message, "Redirect not followed to https://example.com/moved");
  });
});

Deno.test("Browser remembers 'trust once' for the same key until it quits, not a different key", async () => {
  const { info } = await generateCertificate("new.example");
  const { info: other } = await generateCertificate("other.example");
  await harness({}, async ({ browser }) => {
    const hooks = browser.hooks;
    const first = hooks.onCertificateChange!(keyChange(info));
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("o");
    assertEquals(await first, "once");
    const again = await hooks.onCertificateChange!(keyChange(info));
    assertEquals(again, "once");
    assertEquals(browser.state.prompt, undefined);
    const changedAgain = hooks.onCertificateChange!(keyChange(other));
    await until(() => browser.state.prompt?.kind === "choice", "a new prompt for another key");
    browser.dispatch("a");
    assertEquals(await changedAgain, "abort");
  });
});

Deno.test("Browser removes a bookmark selected on the bookmarks page and shows the list again", async () => {
  await harness({ "/a": gmi("# A\n"), "/b": gmi("# B\n") }, async ({ browser, store }) => {
    await store.addBookmark({ url: "gemini://h.example/a", title: "A" });
    await store.addBookmark({ url: "gemini://h.example/b", title: "B" });
    await browser.loadStores();
    browser.dispatch("m");
    await until(() => browser.state.page?.url === "about:bookmarks", "bookmarks");
    browser.dispatch("B");
    assertEquals(browser.state.message, "Select a bookmark with Tab, then press B to remove it");
    browser.dispatch("tab");
    browser.dispatch("tab");
    browser.dispatch("B");
    await until(
      () => browser.state.layout.links.length === 1 && !browser.state.loading,
      "the list without B",
    );
    assertEquals(await store.bookmarks(), [{ url: "gemini://h.example/a", title: "A" }]);
    assertEquals(browser.state.layout.links[0].url, "gemini://h.example/a");
  });
});

Deno.test("Browser says when the opener cannot be started; a download is kept", async () => {
  const dir = await Deno.makeTempDir();
  const store = new BrowseStore(`${dir}/data`);
  const browser = new Browser({
    makeFetcher: () => (url) => Promise.resolve(response(url, 20, "image/png", "PNG")),
    store,
    downloadsDir: `${dir}/downloads`,
    opener: ["no-such-opener"],
    spawn: () => {
      throw new Deno.errors.NotFound("no-such-opener");
    },
    render: () => {},
    state: initialState({ width: 60, height: 12 }),
  });
  try {
    browser.open("gemini://h.example/pic");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("o");
    await until(() => !browser.state.loading, "the opener");
    assertEquals(
      browser.state.message,
      "Could not start no-such-opener (not installed); set a handler in [browse.handlers]; " +
        `the file is saved as ${dir}/downloads/pic.png`,
    );
    assertEquals(await Deno.readTextFile(`${dir}/downloads/pic.png`), "PNG");
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
});
