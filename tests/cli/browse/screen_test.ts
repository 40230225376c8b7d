// What gemini browse draws: the prompt and message area that grows to fit (every choice key
// and the whole question at 40 to 200 columns), long messages, tabs in preformatted text,
// sideways scrolling, and frames drawn over a dirty screen.

import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { until } from "../../_helpers/fake_response.ts";
import { VirtualTerminal } from "../../_helpers/vt.ts";
import { Browser, certificateChangeDetails } from "../../../lib/cli/browse/browser.ts";
import {
  type BrowserState,
  cursorPosition,
  type Effect,
  initialState,
  type Page,
  type ScreenLine,
  update,
  view,
} from "../../../lib/cli/browse/model.ts";
import { paint } from "../../../lib/cli/browse/terminal.ts";
import { BrowseStore } from "../../../lib/cli/browse/store.ts";
import { displayWidth } from "../../../lib/gemtext/render.ts";
import { ClientError } from "../../../lib/client/types.ts";
import { generateCertificate } from "../../../lib/tls/certificate.ts";

const WIDTHS = [40, 60, 100, 200];
const QUESTION = "Before we go on, please tell us in a few words which of the " +
  "capsules you visited this week you liked best, and why you liked it so much?";
const FAR = "gemini://localhost:1965/" + "a-very-long-path-segment/".repeat(10) + "end";

function squash(text: string): string {
  return text.replace(/\s+/g, "");
}

/** The lines below the status line. */
function area(state: BrowserState): ScreenLine[] {
  const lines = view(state);
  return lines.slice(lines.findIndex((l) => l.style === "status") + 1);
}

function checkFrame(state: BrowserState): void {
  const lines = view(state);
  assertEquals(lines.length, state.height);
  for (const l of lines) {
    const used = (l.indent ?? 0) + displayWidth(l.plain) +
      (l.hint ? 3 + displayWidth(l.hint) : 0);
    assert(used <= state.width, `${JSON.stringify(l.plain)} is wider than ${state.width}`);
  }
}

async function withBrowser(fn: (browser: Browser) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const browser = new Browser({
    makeFetcher: () => () => Promise.reject(new ClientError("network", "offline")),
    store: new BrowseStore(`${dir}/data`),
    downloadsDir: `${dir}/downloads`,
    render: () => {},
    state: initialState({ width: 80, height: 24 }),
  });
  try {
    await fn(browser);
  } finally {
    browser.dispatch("q");
    await browser.idle();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asks through `ask`, checks the area at every width and height, then answers with `key`. */
async function checkPrompt(
  browser: Browser,
  ask: () => Promise<unknown>,
  question: string,
  choices: string[],
  key: string,
): Promise<void> {
  const answered = ask();
  await until(() => browser.state.prompt, "the prompt");
  for (const width of WIDTHS) {
    for (const height of [12, 24]) {
      browser.dispatch({ type: "resize", width, height });
      const state = browser.state;
      checkFrame(state);
      const rows = area(state).map((l) => l.plain);
      for (const choice of choices) {
        assert(
          rows.some((r) => r.includes(choice)),
          `${choice} at ${width}x${height}:\n${rows.join("\n")}`,
        );
      }
      assertStringIncludes(squash(rows.join("")), squash(question), `at ${width}x${height}`);
      // Nothing else is cut: no row ends in an ellipsis.
      assert(rows.every((r) => !r.endsWith("…")), rows.join("\n"));
    }
  }
  browser.dispatch(key);
  await answered;
}

Deno.test("every choice key and the whole question show from 40 to 200 columns", async () => {
  await withBrowser(async (browser) => {
    const hooks = browser.hooks;
    await checkPrompt(
      browser,
      () => hooks.onInsecure!(new URL("gopher://127.0.0.1:7070/1/")),
      "gopher is NOT encrypted. Connect to 127.0.0.1:7070?",
      ["[y] yes, this time", "[a] always for this host", "[n] no"],
      "n",
    );
    await checkPrompt(
      browser,
      () =>
        hooks.onRedirect!({
          from: new URL("gemini://127.0.0.1/far"),
          to: new URL(FAR),
        }),
      `127.0.0.1 redirects to another host: ${FAR} — follow?`,
      ["[y] yes", "[n] no"],
      "n",
    );
    await checkPrompt(
      browser,
      () =>
        hooks.onInput!({
          url: new URL("gemini://127.0.0.1/question"),
          prompt: QUESTION,
          sensitive: false,
        }),
      QUESTION,
      [],
      "escape",
    );
  });
});

Deno.test("the certificate prompt shows both labelled fingerprints and every key at 40-200 columns", async () => {
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
  await withBrowser(async (browser) => {
    const answer = browser.hooks.onCertificateChange!(change);
    await until(() => browser.state.prompt, "the prompt");
    for (const width of WIDTHS) {
      browser.dispatch({ type: "resize", width, height: 24 });
      checkFrame(browser.state);
      const rows = area(browser.state).map((l) => l.plain);
      for (const choice of ["[a] abort", "[o] trust once (this session)", "[s] trust and save"]) {
        assert(rows.some((r) => r.includes(choice)), `${choice} at ${width}:\n${rows.join("\n")}`);
      }
      const text = rows.join("\n");
      assertStringIncludes(text, "Trusted key, SHA-256");
      assertStringIncludes(text, "New key, SHA-256");
      // Each fingerprint whole, its groups of eight bytes never split.
      assertStringIncludes(squash(text), squash("AB:AB:AB:AB:AB:AB:AB:AB ".repeat(4)));
      const fresh = info.spkiSha256.toUpperCase().match(/../g)!.join(":");
      assertStringIncludes(squash(text).replaceAll(":", ""), fresh.replaceAll(":", ""));
      assert(
        rows.some((r) =>
          r.trim() === "AB:AB:AB:AB:AB:AB:AB:AB" || r.includes("AB:AB:AB:AB:AB:AB:AB:AB AB")
        ),
      );
      assert(!text.includes("--trust-new"));
    }
    browser.dispatch("o");
    assertEquals(await answer, "once");
  });
  // The labels come in the order the page and the prompt refer to them.
  const lines = certificateChangeDetails(change);
  assert(lines[1].startsWith("Trusted key, SHA-256 (first seen 2025-01-01, last seen 2026-01-01"));
  assertEquals(
    lines[2],
    "  AB:AB:AB:AB:AB:AB:AB:AB AB:AB:AB:AB:AB:AB:AB:AB AB:AB:AB:AB:AB:AB:AB:AB AB:AB:AB:AB:AB:AB:AB:AB",
  );
  assert(lines[3].startsWith("New key, SHA-256 (valid "));
});

function asked(
  state: BrowserState,
  prompt: Partial<BrowserState["prompt"]> & { label: string },
): BrowserState {
  return update(state, {
    type: "ask",
    prompt: { kind: "choice", id: 1, value: "", ...prompt },
  }).state;
}

Deno.test("a prompt taller than the window scrolls with PgUp/PgDn; its choices stay in view", () => {
  const details = Array.from({ length: 30 }, (_, i) => `Detail line number ${i + 1}`);
  let s = asked(initialState({ width: 40, height: 10 }), {
    label: "Go on?",
    details,
    choices: [{ key: "y", label: "yes", value: "y" }, { key: "n", label: "no", value: "n" }],
  });
  const rows = (): string[] => area(s).map((l) => l.plain);
  checkFrame(s);
  assertEquals(area(s).length, 8, "the window less the status line and one page row");
  assertEquals(rows().at(-1), "Go on? [y] yes  [n] no");
  assertEquals(rows()[0], "Detail line number 1");
  assertEquals(rows().at(-2), "▲▼ PgUp/PgDn: rows 1-6 of 30");
  s = update(s, "pagedown").state;
  assertEquals(rows()[0], "Detail line number 6");
  assertEquals(rows().at(-1), "Go on? [y] yes  [n] no");
  for (let i = 0; i < 20; i++) s = update(s, "pagedown").state;
  assertEquals(rows()[0], "Detail line number 25");
  assertEquals(rows()[5], "Detail line number 30");
  s = update(s, "pageup").state;
  assertEquals(rows()[0], "Detail line number 20");
  for (let i = 0; i < 20; i++) s = update(s, "pageup").state;
  assertEquals(rows()[0], "Detail line number 1");
  assertEquals(update(s, "y").effects, [{ type: "answer", id: 1, value: "y" }]);
});

Deno.test("the answer row keeps the cursor in view while editing a long answer", () => {
  let s = update(initialState({ width: 40, height: 10 }), {
    type: "ask",
    prompt: { kind: "input", id: 2, label: "Say", value: "" },
  }).state;
  const text = "the quick brown fox jumps over the lazy dog and runs away";
  for (const ch of text) s = update(s, ch).state;
  assertEquals(area(s).at(-1)?.plain, "Say: … over the lazy dog and runs away");
  assertEquals(cursorPosition(s), { row: 9, col: 38 });
  for (let i = 0; i < 60; i++) s = update(s, "left").state;
  assertEquals(area(s).at(-1)?.plain, "Say: the quick brown fox jumps over the…");
  assertEquals(cursorPosition(s), { row: 9, col: 5 });
  s = update(s, "ctrl-e").state;
  assertEquals(cursorPosition(s), { row: 9, col: 38 });
  // A hidden answer is drawn as stars, the cursor among them.
  let secret = update(initialState({ width: 40, height: 10 }), {
    type: "ask",
    prompt: { kind: "secret", id: 3, label: "Password", value: "" },
  }).state;
  for (const ch of "hunter2") secret = update(secret, ch).state;
  secret = update(secret, "home").state;
  assertEquals(area(secret).at(-1)?.plain, "Password: *******");
  assertEquals(cursorPosition(secret), { row: 9, col: 10 });
});

function withPage(
  body: string,
  width: number,
  height: number,
  extra: Partial<Page> = {},
): BrowserState {
  const s = {
    ...initialState({ width, height }),
    loading: { id: 1, url: "gemini://h/", nav: "push" as const },
  };
  return update(s, {
    type: "loaded",
    id: 1,
    page: { url: "gemini://h/", body, mediaType: "text/gemini", status: 20, ...extra },
  }).state;
}

function keys(state: BrowserState, ...list: string[]): { state: BrowserState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const k of list) {
    const r = update(state, k);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

Deno.test("a long message wraps at spaces; taller than a third of the window, M reads it whole", () => {
  const s = withPage("x", 40, 12);
  const long = `Redirect to ${FAR} not followed`;
  const shown = update(s, {
    type: "message",
    text: "Could not start no-such-mailer (not installed); set a handler in [browse.schemes]",
  }).state;
  checkFrame(shown);
  assertEquals(area(shown).map((l) => l.plain), [
    "Could not start no-such-mailer (not",
    "installed); set a handler in",
    "[browse.schemes]",
  ]);
  const cut = update(s, { type: "message", text: long }).state;
  checkFrame(cut);
  const rows = area(cut).map((l) => l.plain);
  assertEquals(rows.length, 4);
  assert(rows[3].endsWith("… M: read all"), rows[3]);
  // M opens the messages page, which holds the whole message.
  const r = keys(cut, "M");
  assertEquals(r.effects.at(-1), {
    type: "fetch",
    id: cut.nextId,
    url: "about:messages",
    nav: "push",
  });
  assertEquals(cut.log[0], long);
});

Deno.test("tabs in preformatted text are expanded to stops of 8; wide rows scroll sideways", () => {
  const wide = "L" + "-".repeat(110) + "R";
  const body = ["# Pre", "```", "a\tb\tc", "日\tx", wide, "```", "text"].join("\n");
  let s = withPage(body, 60, 12);
  const rows = view(s).map((l) => l.plain);
  assertEquals(rows[1], "a       b       c");
  assertEquals(rows[2], "日      x");
  assertEquals(rows[3], wide.slice(0, 60));
  assert(view(s).every((l) => !l.plain.includes("\t")));
  assertStringIncludes(view(s)[10].plain, "cols 1-60/112 < >");
  s = keys(s, ">").state;
  assertEquals(s.hscroll, 30);
  assertEquals(view(s)[3].plain, wide.slice(30, 90));
  assertEquals(view(s)[4].plain, "text", "wrapped text does not move");
  assertEquals(view(s)[1].plain, "", "the tab row moves with the block");
  s = keys(s, ">", ">", ">").state;
  assertEquals(s.hscroll, 52, "no further than the widest row");
  assert(view(s)[3].plain.endsWith("R"));
  s = keys(s, "<", "<", "<").state;
  assertEquals(s.hscroll, 0);
  assertEquals(
    keys(withPage("# No pre", 60, 12), ">").state.message,
    "No preformatted text here is wider than the screen",
  );
  // A wide character cut by the left edge becomes a blank.
  const cjk = withPage("```\n" + "日".repeat(40) + "\n```", 40, 6);
  const moved = keys(cjk, ">").state;
  assertEquals(moved.hscroll, 20);
  assertEquals(view(moved)[0].plain, "日".repeat(20));
  const odd = { ...cjk, hscroll: 1 };
  assertEquals(view(odd)[0].plain, " " + "日".repeat(19) + " ");
});

Deno.test("every frame drawn over a dirty screen leaves no stale cell", () => {
  const body = ["# Pre", "X".repeat(38), "```", "a\tb\tc", "wide 日本", "```", "after"].join("\n");
  let s = withPage(body, 40, 8);
  const term = new VirtualTerminal(40, 8, "#");
  let before = view(s);
  term.write(paint(before, 40, undefined, displayWidth));
  const expected = (lines: ScreenLine[]): string[] =>
    lines.map((l) => {
      const text = " ".repeat(l.indent ?? 0) + l.plain;
      const hint = l.hint
        ? " ".repeat(Math.max(1, 40 - displayWidth(l.plain) - displayWidth(l.hint))) + l.hint
        : "";
      const status = l.style === "status" ? text.padEnd(40) : text;
      return (status + hint).replace(/ +$/, "");
    });
  assertEquals(term.rows(), expected(before));
  // Scrolled by one row, the tab row is drawn where the row of X was: nothing shows through.
  for (const key of ["j", "j", "k", "/", "a", "escape", "G"]) {
    s = update(s, key).state;
    const after = view(s);
    term.write(paint(after, 40, cursorPosition(s), displayWidth, before));
    assertEquals(term.rows(), expected(after), key);
    before = after;
  }
});
