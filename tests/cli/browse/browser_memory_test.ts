// The controller of gemini browse with the page cache, external schemes, the clipboard and
// the messages page: what reaches the network (or another program) and what does not.

import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { fakeResponse, until } from "../../_helpers/fake_response.ts";
import { Browser, type BrowserOptions, messagesGemtext } from "../../../lib/cli/browse/browser.ts";
import { initialState } from "../../../lib/cli/browse/model.ts";
import { BrowseStore } from "../../../lib/cli/browse/store.ts";
import { Client } from "../../../lib/client/client.ts";
import type { ClientHooks, GeminiResponse, RequestOptions } from "../../../lib/client/types.ts";

interface Harness {
  browser: Browser;
  requests: string[];
  spawned: string[][];
  copied: string[];
}

type Route = (url: URL, hooks: ClientHooks, options: RequestOptions) => Promise<GeminiResponse>;

async function harness(
  routes: Record<string, Route>,
  fn: (h: Harness) => Promise<void>,
  extra: Partial<BrowserOptions> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const requests: string[] = [];
  const spawned: string[][] = [];
  const copied: string[] = [];
  const browser = new Browser({
    makeFetcher: (hooks) => async (url, options) => {
      const u = new URL(url);
      if (u.protocol !== "gemini:") {
        // Anything else goes to the real client, which fetches nothing for these.
        return await new Client({ hooks }).fetch(url, options);
      }
      requests.push(url);
      const route = routes[u.pathname];
      if (!route) return fakeResponse(url, 51, "Not found");
      return await route(u, hooks, options);
    },
    store: new BrowseStore(`${dir}/data`),
    downloadsDir: `${dir}/downloads`,
    opener: ["xdg-open"],
    spawn: (command) => spawned.push(command),
    copy: (text) => copied.push(text),
    render: () => {},
    state: initialState({ width: 60, height: 12 }),
    ...extra,
  });
  try {
    await fn({ browser, requests, spawned, copied });
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
}

const gmi = (body: string): Route => (url) =>
  Promise.resolve(fakeResponse(url.href, 20, "text/gemini", body));

Deno.test("back and forward never call the network, even to a slow page; R does", async () => {
  let release = (): void => {};
  const slowGate = new Promise<void>((r) => release = r);
  const slow: Route = async (url) => {
    await slowGate;
    return fakeResponse(url.href, 20, "text/gemini", "# Slow\n=> /end End\n");
  };
  await harness(
    { "/": gmi("# Home\n=> /slow Slow\n"), "/slow": slow, "/end": gmi("# End\n") },
    async (h) => {
      const { browser, requests } = h;
      browser.open("gemini://h.example/");
      await until(() => browser.state.page?.title === "Home", "home");
      browser.dispatch("1");
      release();
      await until(() => browser.state.page?.title === "Slow", "the slow page");
      browser.dispatch("1");
      await until(() => browser.state.page?.title === "End", "the end");
      const before = requests.length;
      assertEquals(before, 3);
      browser.dispatch("b");
      assertEquals(browser.state.page?.title, "Slow", "at once, from memory");
      browser.dispatch("b");
      assertEquals(browser.state.page?.title, "Home");
      browser.dispatch("f");
      browser.dispatch("f");
      assertEquals(browser.state.page?.title, "End");
      await browser.idle();
      assertEquals(requests.length, before, "no request for back and forward");
      browser.dispatch("R");
      await until(() => !browser.state.loading, "the reload");
      assertEquals(requests.length, before + 1);
    },
  );
});

Deno.test("a page reached with a hidden answer is never requested again without asking", async () => {
  const secret: Route = async (url, hooks) => {
    if (url.search) return fakeResponse(url.href, 20, "text/gemini", "# In\n=> /other Other\n");
    const answer = await hooks.onInput!({ url, prompt: "Password", sensitive: true });
    return fakeResponse(`${url.href}?${answer}`, 20, "text/gemini", "# In\n=> /other Other\n");
  };
  await harness({ "/s": secret, "/other": gmi("# Other\n") }, async ({ browser, requests }) => {
    browser.open("gemini://h.example/s");
    await until(() => browser.state.prompt?.kind === "secret", "the prompt");
    for (const k of "pw") browser.dispatch(k);
    browser.dispatch("enter");
    await until(() => browser.state.page?.title === "In", "the page");
    browser.dispatch("1");
    await until(() => browser.state.page?.title === "Other", "the other page");
    const before = requests.length;
    browser.dispatch("b");
    assertEquals(browser.state.page?.title, "In");
    assertEquals(browser.state.page?.sensitive, true);
    browser.dispatch("R");
    assertEquals(browser.state.prompt?.kind, "choice");
    browser.dispatch("n");
    await browser.idle();
    assertEquals(requests.length, before, "declined: nothing sent");
    browser.dispatch("R");
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the reload");
    assertEquals(requests.slice(before), ["gemini://h.example/s?pw"]);
    assertEquals(browser.state.page?.sensitive, true, "still hidden after the reload");
  });
});

Deno.test("a scheme with a handler in [browse.schemes] goes to it, never to the client", async () => {
  const routes = {
    "/": gmi("# Home\n=> mailto:someone@example.org Mail\n=> https://example.com/ Web\n"),
  };
  await harness(routes, async ({ browser, requests, spawned, copied }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("1");
    await until(() => browser.state.prompt?.kind === "choice", "the handler prompt");
    assertEquals(
      browser.state.prompt!.label,
      "Open mailto:someone@example.org with mutt -s hello?",
    );
    assertEquals(browser.state.prompt!.choices!.map((c) => c.key), ["y", "c", "n"]);
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the handler");
    assertEquals(spawned, [["mutt", "-s", "hello", "mailto:someone@example.org"]]);
    assertEquals(browser.state.message, "Opened mailto:someone@example.org with mutt -s hello");
    assertEquals(browser.state.page?.title, "Home", "the page stays");
    // https has no handler here: the client refuses it and the system opener is offered;
    // c copies the URL instead.
    browser.dispatch("2");
    await until(() => browser.state.prompt?.kind === "choice", "the opener prompt");
    assertEquals(browser.state.prompt!.label, "Open https://example.com/ with xdg-open?");
    browser.dispatch("c");
    await until(() => !browser.state.loading, "the copy");
    assertEquals(copied, ["https://example.com/"]);
    assertEquals(browser.state.message, "Copied to the clipboard: https://example.com/");
    assertEquals(requests, ["gemini://h.example/"]);
  }, { schemes: { mailto: ["mutt", "-s", "hello"] } });
});

Deno.test("mailto: without a handler offers the system opener, not an error page", async () => {
  await harness({ "/": gmi("# Home\n=> mailto:someone@example.org Mail\n") }, async (h) => {
    const { browser, spawned } = h;
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("1");
    await until(() => browser.state.prompt?.kind === "choice", "the opener prompt");
    assertEquals(browser.state.prompt!.label, "Open mailto:someone@example.org with xdg-open?");
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the opener");
    assertEquals(spawned, [["xdg-open", "mailto:someone@example.org"]]);
    assert(!browser.state.page?.error, "no error page");
  });
  // With no opener at all, the prompt says where to set one and still offers the copy.
  await harness(
    { "/": gmi("# Home\n=> news:comp.lang.misc News\n") },
    async ({ browser, copied }) => {
      browser.open("gemini://h.example/");
      await until(() => browser.state.page, "the page");
      browser.dispatch("1");
      await until(() => browser.state.prompt?.kind === "choice", "the prompt");
      assertEquals(
        browser.state.prompt!.label,
        "No program opens news: links (set one in [browse.schemes]): news:comp.lang.misc",
      );
      assertEquals(browser.state.prompt!.choices!.map((c) => c.key), ["c", "n"]);
      browser.dispatch("c");
      await until(() => copied.length === 1, "the copy");
      assertEquals(copied, ["news:comp.lang.misc"]);
    },
    { opener: [] },
  );
});

Deno.test("a handler that cannot start names the table to fix", async () => {
  await harness({ "/": gmi("# Home\n=> mailto:a@b.example Mail\n") }, async ({ browser }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("1");
    await until(() => browser.state.prompt?.kind === "choice", "the prompt");
    browser.dispatch("y");
    await until(() => !browser.state.loading, "the failure");
    assertEquals(
      browser.state.message,
      'Could not start no-such-mailer (not installed); set a handler in [browse.schemes] (mailto = "program")',
    );
  }, {
    schemes: { mailto: ["no-such-mailer"] },
    spawn: () => {
      throw new Deno.errors.NotFound("no-such-mailer");
    },
  });
});

Deno.test("y copies through the terminal's clipboard; without one the browser says so", async () => {
  await harness({ "/": gmi("# Home\n=> /a A\n") }, async ({ browser, copied }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("y");
    browser.dispatch("1");
    assertEquals(copied, ["gemini://h.example/a"]);
  });
  await harness({ "/": gmi("# Home\n=> /a A\n") }, async ({ browser }) => {
    browser.open("gemini://h.example/");
    await until(() => browser.state.page, "the page");
    browser.dispatch("Y");
    assertEquals(browser.state.message, "This terminal has no clipboard to copy to");
  }, { copy: undefined });
});

Deno.test("M shows the recent messages in full, newest first", async () => {
  const long = "word ".repeat(60).trim();
  await harness({}, async ({ browser }) => {
    browser.dispatch({ type: "message", text: "First message" });
    browser.dispatch({ type: "message", text: long });
    browser.dispatch("M");
    await until(() => browser.state.page?.url === "about:messages", "the messages page");
    const body = browser.state.page!.body;
    assertStringIncludes(body, long);
    assert(body.indexOf(long) < body.indexOf("First message"));
  });
  assertEquals(messagesGemtext(["=> not a link"]).includes("\n => not a link\n"), true);
  assertStringIncludes(messagesGemtext([]), "No messages yet.");
});
