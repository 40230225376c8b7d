// gemini browse and the client's certificate and redirect policies: the prompt for an
// expired or not yet valid certificate (edge case 59), warnings kept on the message line
// (edge case 60), bookmarks that follow a 31 (edge case 46).

import { assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import {
  Browser,
  type Fetcher,
  invalidCertificateDetails,
} from "../../../lib/cli/browse/browser.ts";
import { initialState } from "../../../lib/cli/browse/model.ts";
import { BrowseStore } from "../../../lib/cli/browse/store.ts";
import {
  ClientError,
  type ClientHooks,
  type GeminiResponse,
  type InvalidCertificate,
} from "../../../lib/client/types.ts";
import { generateCertificate } from "../../../lib/tls/certificate.ts";
import { Client } from "../../../lib/client/client.ts";
import { fakeResponse, until } from "../../_helpers/fake_response.ts";
import { answer, startGeminiServer } from "../../_helpers/gemini_server.ts";
import { MemoryIdentityStore, MemoryKnownHosts } from "../../_helpers/memory_stores.ts";

function page(url: string, body: string): GeminiResponse {
  return fakeResponse(url, 20, "text/gemini", body);
}

type Route = (url: URL, hooks: ClientHooks) => Promise<GeminiResponse>;

async function withBrowser(
  routes: Record<string, Route>,
  fn: (browser: Browser, store: BrowseStore) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = new BrowseStore(`${dir}/data`);
  const makeFetcher = (hooks: ClientHooks): Fetcher => async (url) => {
    const u = new URL(url);
    const route = routes[u.pathname];
    if (!route) throw new ClientError("network", `no route for ${u.pathname}`);
    return await route(u, hooks);
  };
  const browser = new Browser({
    makeFetcher,
    store,
    downloadsDir: `${dir}/downloads`,
    render: () => {},
    state: initialState({ width: 80, height: 12 }),
  });
  try {
    await fn(browser, store);
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
}

async function expired(): Promise<InvalidCertificate> {
  const { info } = await generateCertificate("h.example", {
    notBefore: new Date("2024-01-01T00:00:00.000Z"),
    notAfter: new Date("2025-01-01T00:00:00.000Z"),
  });
  return {
    host: "h.example",
    port: 1965,
    reason: "expired",
    presented: info,
    checkedAt: new Date("2026-01-01T00:00:00.000Z"),
  };
}

Deno.test("Browser asks before going on with an expired certificate: abort, or once for the session", async () => {
  const invalid = await expired();
  await withBrowser({}, async (browser) => {
    const hooks = browser.hooks;
    const first = hooks.onInvalidCertificate!(invalid);
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertStringIncludes(browser.state.prompt!.label, "EXPIRED");
    const details = browser.state.prompt!.details!.join("\n");
    assertStringIncludes(details, "h.example:1965 expired on 2025-01-01T00:00:00Z");
    assertStringIncludes(details, "renew");
    assertEquals(browser.state.prompt!.choices!.map((c) => c.value), ["abort", "once"]);
    browser.dispatch("a");
    assertEquals(await first, "abort");

    const second = hooks.onInvalidCertificate!(invalid);
    await until(() => browser.state.prompt?.kind === "choice", "the prompt again");
    browser.dispatch("o");
    assertEquals(await second, "once");
    // Going on holds for this certificate until the browser quits: no new question.
    assertEquals(await hooks.onInvalidCertificate!(invalid), "once");
    assertEquals(browser.state.prompt, undefined);
    // Another certificate is asked about again; Esc aborts.
    const other = await expired();
    const third = hooks.onInvalidCertificate!(other);
    await until(() => browser.state.prompt?.kind === "choice", "a prompt for another one");
    browser.dispatch("escape");
    assertEquals(await third, "abort");
  });
});

Deno.test("invalidCertificateDetails() says not valid until and mentions the clock", async () => {
  const invalid = { ...(await expired()), reason: "not-yet-valid" as const };
  const details = invalidCertificateDetails(invalid).join("\n");
  assertStringIncludes(details, "is not valid until 2024-01-01T00:00:00Z");
  assertStringIncludes(details, "clock");
});

Deno.test("Browser explains a refused invalid certificate on an error page", async () => {
  const invalid = await expired();
  const routes: Record<string, Route> = {
    "/": () => {
      throw new ClientError("certificate-invalid", "The certificate of h.example:1965 expired", {
        invalid,
      });
    },
  };
  await withBrowser(routes, async (browser) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page?.error, "the error page");
    assertEquals(browser.state.page?.title, "Certificate expired or not yet valid");
    const body = browser.state.page!.body;
    assertStringIncludes(body, "Nothing was sent to the server.");
    assertStringIncludes(body, "valid from 2024-01-01T00:00:00Z to 2025-01-01T00:00:00Z");
    assertStringIncludes(body, "press R, then o to go on");
  });
});

Deno.test("Browser keeps a warning of the load (a certificate for another host) on the message line", async () => {
  const routes: Record<string, Route> = {
    "/": (url, hooks) => {
      hooks.onWarning?.("The certificate of h.example:1965 is for other.example");
      return Promise.resolve(page(url.href, "# Title\n"));
    },
  };
  await withBrowser(routes, async (browser) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    assertEquals(
      browser.state.message,
      "Warning: The certificate of h.example:1965 is for other.example",
    );
  });
});

Deno.test("Browser moves a bookmark whose URL answered 31, and only for a 31", async () => {
  const routes: Record<string, Route> = {
    "/old": async (_url, hooks) => {
      await hooks.onPermanentRedirect?.({
        from: new URL("gemini://h.example/old"),
        to: new URL("gemini://h.example/new"),
      });
      return page("gemini://h.example/new", "# New home\n");
    },
    "/temp": () => Promise.resolve(page("gemini://h.example/elsewhere", "# Elsewhere\n")),
  };
  await withBrowser(routes, async (browser, store) => {
    await store.addBookmark({ url: "gemini://h.example/first", title: "First" });
    await store.addBookmark({ url: "gemini://h.example/old", title: "My capsule" });
    await store.addBookmark({ url: "gemini://h.example/temp", title: "Temp" });
    await browser.loadStores();
    browser.open("gemini://h.example/old");
    await until(() => browser.state.page, "the page");
    await browser.idle();
    assertEquals(await store.bookmarks(), [
      { url: "gemini://h.example/first", title: "First" },
      { url: "gemini://h.example/new", title: "My capsule" },
      { url: "gemini://h.example/temp", title: "Temp" },
    ]);
    assertEquals(browser.state.bookmarks, [
      "gemini://h.example/first",
      "gemini://h.example/new",
      "gemini://h.example/temp",
    ]);
    assertEquals(browser.state.message, "Bookmark moved for good to gemini://h.example/new");
    // A 30 (the client does not call the hook) leaves the bookmark alone.
    browser.open("gemini://h.example/temp");
    await until(() => browser.state.page?.url === "gemini://h.example/elsewhere", "the page");
    await browser.idle();
    assertEquals((await store.bookmarks())[2].url, "gemini://h.example/temp");
  });
});

Deno.test("Browser with a real Client over TLS: an expired certificate is a prompt; going on pins it", async () => {
  const bundle = await generateCertificate("localhost", {
    altNames: ["localhost", "127.0.0.1"],
    notBefore: new Date(Date.now() - 30 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  const server = await startGeminiServer(
    ({ conn }) => answer(conn, "20 text/gemini\r\n", "# Stale capsule\n"),
    { certificate: bundle },
  );
  const knownHosts = new MemoryKnownHosts();
  const dir = await Deno.makeTempDir();
  const browser = new Browser({
    makeFetcher: (hooks) => {
      const client = new Client({ knownHosts, identities: new MemoryIdentityStore(), hooks });
      return (url, options) => client.fetch(url, options);
    },
    store: new BrowseStore(`${dir}/data`),
    downloadsDir: `${dir}/downloads`,
    render: () => {},
    state: initialState({ width: 80, height: 12 }),
  });
  try {
    const url = `gemini://127.0.0.1:${server.port}/`;
    browser.open(url);
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    assertEquals(await knownHosts.list(), []);
    assertEquals(server.lines, []);
    browser.dispatch("a");
    await until(() => browser.state.page?.error, "the error page");
    assertEquals(await knownHosts.list(), []);
    browser.dispatch("R");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt again");
    browser.dispatch("o");
    await until(() => browser.state.page?.title === "Stale capsule", "the page");
    assertEquals(
      (await knownHosts.get("127.0.0.1", server.port))?.spkiSha256,
      bundle.info.spkiSha256,
    );
    assertEquals(server.lines, [url]);
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
