import { paint } from "../../../lib/cli/browse/terminal.ts";
import {
  PAGE_KEYMAP,
  pageCommand,
  PROMPT_KEYMAP,
  promptCommand,
} from "../../../lib/cli/browse/keymap.ts";
import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import {
  type BrowserState,
  contentHeight,
  cursorPosition,
  type Effect,
  helpGemtext,
  initialState,
  type InitialStateOptions,
  KEYS,
  type Page,
  pageWidth,
  parentUrl,
  PROMPT_KEYS,
  rootUrl,
  typedUrl,
  update,
  view,
} from "../../../lib/cli/browse/model.ts";

const URL_ = "gemini://example.org/dir/page.gmi";

function page(body: string, extra: Partial<Page> = {}): Page {
  return { url: URL_, body, mediaType: "text/gemini", status: 20, ...extra };
}

/** A state showing `body`, as if it had just been loaded. */
function withPage(
  body: string,
  options: InitialStateOptions = {},
  extra: Partial<Page> = {},
): BrowserState {
  const s = initialState({ width: 40, height: 10, ...options });
  return load({ ...s }, page(body, extra));
}

function load(
  state: BrowserState,
  p: Page,
  nav: "push" | "reload" = "push",
): BrowserState {
  const loading = { ...state, loading: { id: 900, url: p.url, nav }, nextId: 901 };
  return update(loading, { type: "loaded", id: 900, page: p }).state;
}

function keys(state: BrowserState, ...list: string[]): { state: BrowserState; effects: Effect[] } {
  let effects: Effect[] = [];
  for (const key of list) {
    const r = update(state, key);
    state = r.state;
    effects = [...effects, ...r.effects];
  }
  return { state, effects };
}

function screen(state: BrowserState): string[] {
  return view(state).map((l) => l.plain);
}

const LINES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
const LINKS = [
  "# Title",
  "=> /a.gmi Alpha",
  "=> b.gmi Beta",
  "=> gemini://other.example/ Gamma",
  "text",
].join("\n");

Deno.test("view() draws exactly height lines: page rows, status line, message line", () => {
  const s = withPage("# Hello\nworld", { width: 30, height: 6 });
  const lines = screen(s);
  assertEquals(lines.length, 6);
  assertEquals(lines.slice(0, 2), ["# Hello", "world"]);
  assertEquals(lines.slice(2, 4), ["", ""]);
  // 30 columns: the URL keeps its start and end; the status gives way.
  assertEquals(lines[4], "gemini://example.o…ir/page.gmi");
  assertEquals(view(s)[4].style, "status");
  assertEquals(lines[5], "Hello");
  assertEquals(view(s)[5].hint, undefined, "no room for the key hints in 30 columns");
  const wide = update(s, { type: "resize", width: 80, height: 6 }).state;
  assertEquals(view(wide)[5].hint, "? help · o open · b back · q quit");
  assertEquals(
    view(keys(wide, "/", ..."world", "enter").state)[5].hint,
    "n/N next/previous · Esc ends the search",
  );
});

Deno.test("view() status line shows URL, status, trust verdict and identity", () => {
  const s = withPage("x", { width: 120, height: 5 }, { trust: "match", identity: "alice" });
  assertEquals(
    screen(s)[3],
    `${URL_} │ 20 text/gemini │ trusted │ id: alice`,
  );
});

Deno.test("view() never draws a line wider than the window", () => {
  const s = withPage("```\n" + "x".repeat(200) + "\n```\n" + "word ".repeat(50), {
    width: 20,
    height: 8,
  });
  for (const line of screen(s)) assert(line.length <= 20, line);
});

Deno.test("page width is min(window width, readable maximum)", () => {
  const text = "word ".repeat(40);
  const narrow = withPage(text, { width: 200, height: 10, maxWidth: 30 });
  assertEquals(pageWidth(narrow), 30);
  assert(narrow.layout.rows.every((r) => r.plain.length <= 30));
  const small = withPage(text, { width: 25, height: 10, maxWidth: 100 });
  assertEquals(pageWidth(small), 25);
  assertEquals(initialState().maxWidth, 100);
});

Deno.test("in a window wider than the readable maximum the page column is centred", () => {
  const s = withPage(LINKS, { width: 140, height: 8, maxWidth: 100 });
  const lines = view(s);
  assertEquals(lines[0].plain, "# Title");
  assertEquals(lines[0].indent, 20);
  assertEquals(lines.at(-2)?.indent, undefined, "the status line spans the window");
  assertEquals(
    view(update(s, { type: "resize", width: 100, height: 8 }).state)[0].indent,
    undefined,
  );
  const painted = paint(lines, 140, undefined, (t) => t.length);
  assertStringIncludes(painted, "\x1b[1;1H\x1b[0m\x1b[2K\x1b[1;21H");
});

Deno.test("resize lays the page out again at the new width and keeps scroll in range", () => {
  let s = withPage("word ".repeat(40), { width: 20, height: 5, maxWidth: 100 });
  const before = s.layout.rows.length;
  s = keys(s, "G").state;
  s = update(s, { type: "resize", width: 100, height: 30 }).state;
  assert(s.layout.rows.length < before);
  assertEquals(s.scroll, 0);
  assertEquals(screen(s).length, 30);
});

Deno.test("j/Down and k/Up scroll one line, clamped to the page", () => {
  const s = withPage(LINES, { height: 10 });
  assertEquals(contentHeight(s), 8);
  assertEquals(keys(s, "j").state.scroll, 1);
  assertEquals(keys(s, "down", "down").state.scroll, 2);
  assertEquals(keys(s, "j", "j", "k").state.scroll, 1);
  assertEquals(keys(s, "up").state.scroll, 0);
  assertEquals(keys(s, ...Array(50).fill("j")).state.scroll, 22);
  assertEquals(screen(keys(s, "j").state)[0], "line 2");
});

Deno.test("Space/PgDn and PgUp scroll a page (keeping one line), clamped", () => {
  const s = withPage(LINES, { height: 10 });
  assertEquals(keys(s, " ").state.scroll, 7);
  assertEquals(keys(s, "pagedown").state.scroll, 7);
  assertEquals(keys(s, "ctrl-f").state.scroll, 7);
  assertEquals(keys(s, " ", " ", " ", " ").state.scroll, 22);
  assertEquals(keys(s, " ", " ", "pageup").state.scroll, 7);
  assertEquals(keys(s, " ", "ctrl-b").state.scroll, 0);
  assertEquals(keys(s, "pageup").state.scroll, 0);
});

Deno.test("g/Home and G/End go to top and bottom", () => {
  const s = withPage(LINES, { height: 10 });
  assertEquals(keys(s, "G").state.scroll, 22);
  assertEquals(keys(s, "end").state.scroll, 22);
  assertEquals(keys(s, "G", "g").state.scroll, 0);
  assertEquals(keys(s, "G", "home").state.scroll, 0);
  assertEquals(screen(keys(s, "G").state)[7], "line 30");
});

Deno.test("digits then Enter follow link N, resolved against the page URL", () => {
  const s = withPage(LINKS);
  const r = keys(s, "2", "enter");
  assertEquals(r.effects, [{
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/dir/b.gmi",
    nav: "push",
  }]);
  assertEquals(r.state.loading?.url, "gemini://example.org/dir/b.gmi");
  assertEquals(keys(s, "1", "enter").effects[0], {
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/a.gmi",
    nav: "push",
  });
});

/** A page with `n` links, `/1` ... `/n`. */
function manyLinks(n: number): string {
  return Array.from({ length: n }, (_, i) => `=> /${i + 1} Link ${i + 1}`).join("\n");
}

function fetched(effects: Effect[]): string | undefined {
  const f = effects.find((e) => e.type === "fetch");
  return f?.type === "fetch" ? f.url : undefined;
}

Deno.test("a digit follows its link at once on a page with fewer than 10 links", () => {
  const s = withPage(LINKS);
  for (
    const [key, url] of [["1", "gemini://example.org/a.gmi"], ["3", "gemini://other.example/"]]
  ) {
    const r = keys(s, key);
    assertEquals(fetched(r.effects), url);
    assertEquals(r.state.digits, "");
  }
  const nine = withPage(manyLinks(9));
  assertEquals(fetched(keys(nine, "9").effects), "gemini://example.org/9");
  const bad = keys(s, "9");
  assertEquals(bad.effects, []);
  assertEquals(bad.state.message, "No link 9 on this page");
  assertEquals(keys(s, "0").state.digits, "");
  assertEquals(keys(s, "0").effects, []);
});

Deno.test("with 10 or more links, digits follow as soon as only one link can be meant", () => {
  const ten = withPage(manyLinks(10));
  // 1 could be 1 or 10: wait; 2 can only be 2.
  assertEquals(keys(ten, "1").effects, []);
  assertEquals(keys(ten, "1").state.digits, "1");
  assertEquals(fetched(keys(ten, "1", "0").effects), "gemini://example.org/10");
  assertEquals(fetched(keys(ten, "1", "enter").effects), "gemini://example.org/1");
  assertEquals(fetched(keys(ten, "2").effects), "gemini://example.org/2");
  const s = withPage(manyLinks(25), { width: 60 });
  assertEquals(keys(s, "2").effects, []);
  assertEquals(screen(keys(s, "2").state).at(-1), "Follow link 2 (Enter; Esc cancels)");
  assertEquals(fetched(keys(s, "2", "5").effects), "gemini://example.org/25");
  assertEquals(fetched(keys(s, "3").effects), "gemini://example.org/3");
  assertEquals(keys(s, "2", "6").state.message, "No link 26 on this page");
  assertEquals(keys(s, "1", "backspace").state.digits, "");
  assertEquals(keys(s, "1", "escape").state.digits, "");
  assertEquals(keys(s, "1", "escape").effects, []);
  const big = withPage(manyLinks(150));
  assertEquals(keys(big, "1", "2").effects, []);
  assertEquals(fetched(keys(big, "1", "2", "3").effects), "gemini://example.org/123");
  assertEquals(fetched(keys(big, "2", "0").effects), "gemini://example.org/20");
});

Deno.test("Tab and Shift-Tab select links (wrapping); Enter follows the selection", () => {
  const s = withPage(LINKS);
  assertEquals(keys(s, "tab").state.selected, 0);
  assertEquals(keys(s, "tab", "tab").state.selected, 1);
  assertEquals(keys(s, "tab", "tab", "tab", "tab").state.selected, 0);
  assertEquals(keys(s, "shift-tab").state.selected, 2);
  assertEquals(keys(s, "tab", "shift-tab").state.selected, 2);
  const sel = keys(s, "tab", "tab").state;
  const lines = view(sel);
  assertEquals(lines[2].style, "selected");
  assertEquals(lines[2].plain, "[2] Beta");
  assertEquals(lines[1].style, "page");
  assertEquals(sel.message, "[2] gemini://example.org/dir/b.gmi");
  const r = keys(sel, "enter");
  assertEquals(r.effects[0].type === "fetch" && r.effects[0].url, "gemini://example.org/dir/b.gmi");
  assertEquals(keys(withPage("no links"), "tab").state.message, "No links on this page");
});

Deno.test("Tab scrolls to a link that is off screen", () => {
  const body = LINES + "\n=> /far Far away";
  const s = withPage(body, { height: 10 });
  const r = keys(s, "tab").state;
  assert(r.scroll > 0);
  assert(screen(r).includes("[1] Far away"));
});

Deno.test("o and : open the URL prompt; Enter fetches what was typed", () => {
  const s = withPage("x");
  for (const key of ["o", ":"]) {
    const opened = keys(s, key).state;
    assertEquals(opened.prompt?.kind, "url");
    const typed = keys(opened, ..."other.example/x").state;
    assertEquals(screen(typed).at(-1), "Open: other.example/x");
    assertEquals(cursorPosition(typed), { row: 9, col: "Open: other.example/x".length });
    const r = keys(typed, "enter");
    assertEquals(r.effects, [{
      type: "fetch",
      id: s.nextId,
      url: "gemini://other.example/x",
      nav: "push",
    }]);
    assertEquals(r.state.prompt, undefined);
  }
  assertEquals(keys(s, "o", "a", "escape").state.prompt, undefined);
  assertEquals(keys(s, "o", "a", "escape").effects, []);
  assertEquals(keys(s, "o", "a", "b", "backspace").state.prompt?.value, "a");
  assertEquals(keys(s, "o", "a", "b", "ctrl-u").state.prompt?.value, "");
  assertEquals(keys(s, "o", "enter").effects, []);
});

Deno.test("Tab in the URL prompt completes from history and bookmarks, cycling", () => {
  let s = withPage("x");
  s = update(s, {
    type: "known",
    urls: ["gemini://alpha.example/", "gemini://beta.example/", "gemini://alpha.example/x"],
  }).state;
  const one = keys(s, "o", ..."alp", "tab").state;
  assertEquals(one.prompt?.value, "gemini://alpha.example/");
  const two = keys(one, "tab").state;
  assertEquals(two.prompt?.value, "gemini://alpha.example/x");
  assertEquals(keys(two, "tab").state.prompt?.value, "gemini://alpha.example/");
  assertEquals(keys(two, "shift-tab").state.prompt?.value, "gemini://alpha.example/");
  const none = keys(s, "o", ..."zzz", "tab").state;
  assertEquals(none.prompt?.note, "no completion");
  // The count shows at the right of the prompt line with the key hints, while typing.
  const wide = update(two, { type: "resize", width: 100, height: 10 }).state;
  assertEquals(view(wide).at(-1)?.plain, "Open: gemini://alpha.example/x");
  assertEquals(view(wide).at(-1)?.hint, "2 of 2 · Tab completes · Enter opens · Esc cancels");
  assertEquals(keys(wide, "enter").state.message.startsWith("Loading gemini://alpha"), true);
});

Deno.test("a long answer scrolls in the prompt line: the end being typed stays visible", () => {
  let s = withPage("x", { width: 30, height: 6 });
  s = update(s, { type: "ask", prompt: { kind: "input", id: 1, label: "Say", value: "" } }).state;
  s = keys(s, ..."the quick brown fox jumps over the lazy dog").state;
  const line = view(s).at(-1)!.plain;
  assertEquals(line, "Say: …umps over the lazy dog");
  assertEquals(line.length <= 29, true);
  assertEquals(cursorPosition(s), { row: 5, col: [...line].length });
  // A question wider than the window wraps: all of it stays, the answer follows it.
  let q = withPage("x", { width: 30, height: 6 });
  q = update(q, {
    type: "ask",
    prompt: { kind: "input", id: 1, label: "What is the name of your first pet?", value: "" },
  }).state;
  q = keys(q, ..."Rex").state;
  assertEquals(screen(q).slice(-2), ["What is the name of your first", "pet? Rex"]);
  assertEquals(cursorPosition(q), { row: 5, col: 8 });
});

Deno.test("a long URL in the status line loses its middle, keeping status and trust", () => {
  const long = "gemini://example.org/" + "very-long-segment/".repeat(6) + "page.gmi";
  const s = withPage("x", { width: 60, height: 5 }, { url: long, trust: "match" });
  const status = view(s)[3].plain;
  assertEquals(status.length, 60);
  assert(status.startsWith("gemini://example.org"), status);
  assert(status.endsWith("page.gmi │ 20 text/gemini │ trusted"), status);
  assertStringIncludes(status, "…");
});

Deno.test("prompt labels: a colon only when the question has no punctuation; hints fit", () => {
  const s = withPage("x", { width: 80, height: 6 });
  const ask = (label: string, kind: "input" | "secret"): BrowserState =>
    update(s, { type: "ask", prompt: { kind, id: 1, label, value: "" } }).state;
  assertEquals(
    view(keys(ask("What is your name?", "input"), "Z").state).at(-1)?.plain,
    "What is your name? Z",
  );
  assertEquals(view(keys(ask("Password", "secret"), "Z").state).at(-1)?.plain, "Password: *");
  assertEquals(view(ask("Password", "secret")).at(-1)?.hint, "hidden · Enter sends · Esc cancels");
  const narrow = update(ask("Password", "secret"), { type: "resize", width: 20, height: 6 }).state;
  assertEquals(view(narrow).at(-1)?.hint, undefined);
});

Deno.test("visited pages become completions", () => {
  const s = withPage("x");
  assertEquals(s.known, [URL_]);
});

Deno.test("b/Left and f/Right go back and forward from memory, restoring the scroll position", () => {
  let s = withPage(LINES, { height: 10 });
  assertEquals(keys(s, "b").state.message, "No page to go back to");
  assertEquals(keys(s, "f").state.message, "No page to go forward to");
  const first = s.page!;
  s = keys(s, "j", "j", "j").state;
  const second = page("second", { url: "gemini://example.org/2" });
  s = load(s, second);
  assertEquals(s.back.map((e) => [e.url, e.scroll, e.page]), [[URL_, 3, first]]);
  assertEquals(s.scroll, 0);
  for (const key of ["b", "left"]) {
    const r = keys(s, key);
    assertEquals(r.effects, [], "no request");
    assertEquals(r.state.page, first);
    assertEquals(r.state.scroll, 3);
    assertEquals(r.state.back, []);
    assertEquals(r.state.forward.map((e) => [e.url, e.page]), [["gemini://example.org/2", second]]);
    assertEquals(r.state.loading, undefined);
  }
  s = keys(s, "b").state;
  for (const key of ["f", "right"]) {
    const r = keys(s, key);
    assertEquals(r.effects, [], "no request");
    assertEquals(r.state.page, second);
    assertEquals(r.state.forward, []);
    assertEquals(r.state.back.map((e) => [e.url, e.scroll]), [[URL_, 3]]);
  }
  s = keys(s, "f").state;
  s = load(s, page("third", { url: "gemini://example.org/3" }));
  assertEquals(s.back.length, 2);
  // Going back while a page loads cancels that load.
  const loading = keys(s, "R").state;
  assertEquals(keys(loading, "b").effects, [{ type: "cancel" }]);
  assertEquals(keys(loading, "b").state.loading, undefined);
});

Deno.test("the page cache is bounded: the least recently left pages are dropped, never fetched", () => {
  let s = withPage("# Page 0", { height: 10, cachePages: 2 });
  for (let i = 1; i <= 4; i++) {
    s = load(s, page(`# Page ${i}`, { url: `gemini://example.org/${i}` }));
  }
  // Pages 0-3 are behind; only the two left last (2 and 3) are kept.
  assertEquals(s.back.map((e) => e.page?.title), [undefined, undefined, "Page 2", "Page 3"]);
  s = keys(s, "b", "b").state;
  assertEquals(s.page?.title, "Page 2");
  const dropped = keys(s, "b");
  assertEquals(dropped.effects, [], "a dropped page is not fetched");
  assertEquals(dropped.state.page?.title, "Not in memory");
  assertEquals(dropped.state.page?.url, "gemini://example.org/1");
  assertStringIncludes(dropped.state.page!.body, "press R to load it again");
  assertEquals(keys(dropped.state, "R").effects.at(-1), {
    type: "fetch",
    id: dropped.state.nextId,
    url: "gemini://example.org/1",
    nav: "reload",
  });
  // A bound on the characters kept works the same way.
  let c = withPage("a".repeat(10), { cacheChars: 25 });
  for (let i = 1; i <= 3; i++) {
    c = load(c, page("b".repeat(10), { url: `gemini://example.org/${i}` }));
  }
  assertEquals(c.back.map((e) => e.page !== undefined), [false, true, true]);
});

Deno.test("R reloads the page and keeps the scroll position", () => {
  let s = withPage(LINES, { height: 10 });
  s = keys(s, "j", "j").state;
  const r = keys(s, "R");
  assertEquals(r.effects[0], { type: "fetch", id: s.nextId, url: URL_, nav: "reload" });
  s = load(r.state, page(LINES), "reload");
  assertEquals(s.scroll, 2);
  assertEquals(s.back, []);
  assertEquals(keys(initialState(), "R").state.message, "Nothing to reload");
});

Deno.test("/ searches the page; n and N move between matches; matches are marked", () => {
  const body = Array.from({ length: 30 }, (_, i) => i % 10 === 5 ? `the Needle ${i}` : `hay ${i}`)
    .join("\n");
  const s = withPage(body, { height: 10 });
  const searching = keys(s, "/", ..."needle").state;
  assertEquals(screen(searching).at(-1), "Search: needle");
  const found = keys(searching, "enter").state;
  assertEquals(found.search?.matches, [5, 15, 25]);
  // The first match is on screen already: no scrolling.
  assertEquals(found.scroll, 0);
  assertEquals(found.message, "Match 1 of 3");
  const line = view(found)[5];
  assertEquals(line.plain, "the Needle 5");
  assertEquals(line.marks, [[4, 10]]);
  assertEquals(line.current, true);
  // A match off screen comes into view a third of the way down, with context above it.
  const second = keys(found, "n").state;
  assertEquals(second.scroll, 13);
  assertEquals(view(second)[2].plain, "the Needle 15");
  assertEquals(view(second)[2].current, true);
  assertEquals(keys(found, "n", "n").state.message, "Match 3 of 3");
  const wrapped = keys(found, "n", "n", "n").state;
  assertEquals(wrapped.message, "Match 1 of 3");
  assertEquals(wrapped.scroll, 3);
  assertEquals(keys(found, "N").state.message, "Match 3 of 3");
  assertEquals(keys(s, "/", ..."absent", "enter").state.message, "Not found: absent");
  assertEquals(keys(s, "n").state.message, "No search; press /");
  assertEquals(keys(found, "escape").state.search, undefined);
});

Deno.test("u goes up one path level and r to the root", () => {
  const s = withPage("x");
  assertEquals(keys(s, "u").effects[0], {
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/dir/",
    nav: "push",
  });
  assertEquals(keys(s, "r").effects[0], {
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/",
    nav: "push",
  });
  const root = withPage("x", {}, { url: "gemini://example.org/" });
  assertEquals(keys(root, "u").state.message, "Already at the top level");
  assertEquals(keys(root, "r").state.message, "Already at the root");
});

Deno.test("?, m, h and S open the help, bookmarks, history and subscriptions pages", () => {
  const s = withPage("x");
  const pages: Record<string, string> = {
    "?": "about:help",
    m: "about:bookmarks",
    h: "about:history",
    S: "about:subscriptions",
  };
  for (const [key, url] of Object.entries(pages)) {
    assertEquals(keys(s, key).effects, [{ type: "fetch", id: s.nextId, url, nav: "push" }]);
  }
});

Deno.test("the help page lists every key", () => {
  const help = helpGemtext();
  for (const k of KEYS) {
    assertStringIncludes(help, k.keys);
    assertStringIncludes(help, k.action);
  }
  const all = KEYS.map((k) => k.keys).join(" ");
  for (
    const key of [
      "j",
      "k",
      "PgDn",
      "PgUp",
      "Space",
      "g",
      "G",
      "Tab",
      "Shift-Tab",
      "o",
      ":",
      "b",
      "f",
      "R",
      "/",
      "n, N",
      "u",
      "r",
      "?",
      "B",
      "m",
      "h",
      "s",
      "S",
      "q",
    ]
  ) {
    assertStringIncludes(all, key);
  }
});

Deno.test("B bookmarks the page, B again removes it", () => {
  const s = withPage("# My page");
  const added = keys(s, "B");
  assertEquals(added.effects, [{ type: "bookmark-add", url: URL_, title: "My page" }]);
  assertEquals(added.state.bookmarks, [URL_]);
  const removed = keys(added.state, "B");
  assertEquals(removed.effects, [{ type: "bookmark-remove", url: URL_ }]);
  assertEquals(removed.state.bookmarks, []);
  assertEquals(keys(initialState(), "B").effects, []);
});

Deno.test("s subscribes to the current page", () => {
  const s = withPage("# Log");
  assertEquals(keys(s, "s").effects, [{ type: "subscribe", url: URL_, title: "Log" }]);
  assertEquals(keys(initialState(), "s").effects, []);
});

Deno.test("q quits; Ctrl-C quits when idle and cancels a load; Escape cancels a load", () => {
  const s = withPage("x");
  assertEquals(keys(s, "q").effects, [{ type: "quit" }]);
  assertEquals(keys(s, "ctrl-c").effects, [{ type: "quit" }]);
  const loading = keys(s, "R").state;
  for (const key of ["escape", "ctrl-c"]) {
    const r = keys(loading, key);
    assertEquals(r.effects, [{ type: "cancel" }]);
    assertEquals(r.state.loading, undefined);
  }
});

Deno.test("a new fetch while loading cancels the old one; stale results are ignored", () => {
  const s = withPage(LINKS);
  const first = keys(s, "1", "enter").state;
  const second = keys(first, "2", "enter");
  assertEquals(second.effects[0], { type: "cancel" });
  const stale = update(second.state, {
    type: "loaded",
    id: first.loading!.id,
    page: page("stale"),
  }).state;
  assertEquals(stale.page?.body, LINKS);
  const done = update(second.state, {
    type: "finished",
    id: second.state.loading!.id,
    message: "51 Not found",
  })
    .state;
  assertEquals(done.loading, undefined);
  assertEquals(done.message, "51 Not found");
  assertEquals(done.page?.body, LINKS);
});

Deno.test("an input prompt (10) shows the text typed and answers with it", () => {
  let s = withPage("x");
  s = update(s, { type: "ask", prompt: { kind: "input", id: 7, label: "Name", value: "" } }).state;
  s = keys(s, ..."Ann").state;
  assertEquals(screen(s).at(-1), "Name: Ann");
  const r = keys(s, "enter");
  assertEquals(r.effects, [{ type: "answer", id: 7, value: "Ann" }]);
  assertEquals(r.state.prompt, undefined);
  assertEquals(keys(s, "escape").effects, [{ type: "answer", id: 7, value: null }]);
});

Deno.test("a sensitive prompt (11) never draws the text typed", () => {
  let s = withPage("x", { width: 60 });
  s = update(s, { type: "ask", prompt: { kind: "secret", id: 3, label: "Password", value: "" } })
    .state;
  s = keys(s, ..."hunter2").state;
  const drawn = view(s).map((l) => l.plain + l.text).join("\n");
  assert(!drawn.includes("hunter2"));
  assert(!drawn.includes("hunt"));
  assertEquals(screen(s).at(-1), "Password: *******");
  assertEquals(keys(s, "enter").effects, [{ type: "answer", id: 3, value: "hunter2" }]);
});

Deno.test("a page reached with a sensitive answer hides its query", () => {
  const s = withPage("x", { width: 120 }, {
    url: "gemini://example.org/s?hunter2",
    sensitive: true,
  });
  assert(!screen(s).join("\n").includes("hunter2"));
  assertStringIncludes(screen(s).join("\n"), "gemini://example.org/s?…");
  // R asks before sending the hidden answer again; n sends nothing.
  const reload = keys(s, "R");
  assertEquals(reload.effects, []);
  assertEquals(reload.state.prompt?.kind, "choice");
  assertStringIncludes(screen(reload.state).join(" "), "Reloading sends it to example.org");
  assert(!screen(reload.state).join("\n").includes("hunter2"));
  const declined = keys(reload.state, "n");
  assertEquals(declined.effects, []);
  assertEquals(declined.state.message, "Not reloaded: the answer was not sent again");
  assertEquals(keys(reload.state, "escape").effects, []);
  const resent = keys(reload.state, "y");
  assertEquals(resent.effects, [{
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/s?hunter2",
    nav: "reload",
    sensitive: true,
  }]);
  assert(!screen(resent.state).join("\n").includes("hunter2"));
  assertEquals(s.known, []);
  // Back and forward keep the URL hidden and send nothing.
  const away = load(s, page("other", { url: "gemini://example.org/o" }));
  assertEquals(away.back.map((e) => [e.url, e.sensitive]), [[
    "gemini://example.org/s?hunter2",
    true,
  ]]);
  const back = keys(away, "b");
  assertEquals(back.effects, []);
  assertEquals(back.state.page?.sensitive, true);
  assert(!screen(back.state).join("\n").includes("hunter2"));
  // e (edit the URL) and Y (copy it) leave the hidden query out.
  assertEquals(keys(s, "e").state.prompt?.value, "gemini://example.org/s");
  assertEquals(keys(s, "Y").effects, [{ type: "copy", text: "gemini://example.org/s" }]);
  // Dropped from memory, it still asks before sending the answer again.
  let small = withPage("x", { width: 120, cachePages: 0 }, {
    url: "gemini://example.org/s?hunter2",
    sensitive: true,
  });
  small = load(small, page("other", { url: "gemini://example.org/o" }));
  const gone = keys(small, "b").state;
  assertEquals(gone.page?.title, "Not in memory");
  assert(!screen(gone).join("\n").includes("hunter2"));
  assertEquals(keys(gone, "R").effects, []);
  assertEquals(keys(gone, "R").state.prompt?.action?.type, "resend");
});

Deno.test("a choice prompt takes one of its keys; Escape gives the cancel value", () => {
  let s = withPage("x", { width: 100, height: 12 });
  s = update(s, {
    type: "ask",
    prompt: {
      kind: "choice",
      id: 4,
      label: "Trust the new certificate?",
      value: "",
      details: ["Pinned:  SHA-256 AA:BB", "Now:     SHA-256 CC:DD"],
      choices: [
        { key: "a", label: "abort", value: "abort" },
        { key: "o", label: "trust once (this session)", value: "once" },
        { key: "s", label: "trust and save", value: "save" },
      ],
      cancelValue: "abort",
    },
  }).state;
  const lines = view(s);
  assertEquals(lines.length, 12);
  assertEquals(
    lines.at(-1)?.plain,
    "Trust the new certificate? [a] abort  [o] trust once (this session)  [s] trust and save",
  );
  // The details sit between the status line and the question.
  assertEquals(lines[8].style, "status");
  assertEquals(lines[9].plain, "Pinned:  SHA-256 AA:BB");
  assertEquals(lines[9].style, "box");
  assertEquals(lines[10].plain, "Now:     SHA-256 CC:DD");
  assertEquals(keys(s, "x").effects, []);
  assertEquals(keys(s, "j").state.scroll, 0);
  assertEquals(keys(s, "o").effects, [{ type: "answer", id: 4, value: "once" }]);
  assertEquals(keys(s, "s").effects, [{ type: "answer", id: 4, value: "save" }]);
  assertEquals(keys(s, "escape").effects, [{ type: "answer", id: 4, value: "abort" }]);
});

Deno.test("the details box wraps long lines (fingerprints) under their indentation", () => {
  const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0")).join(":");
  let s = withPage("x", { width: 40, height: 12 });
  s = update(s, {
    type: "ask",
    prompt: {
      kind: "choice",
      id: 1,
      label: "Trust?",
      value: "",
      details: [`Now:     key SHA-256 ${fp}`, "         valid 2026-01-01 to 2027-01-01"],
      choices: [{ key: "a", label: "abort", value: "abort" }],
    },
  }).state;
  const box = view(s).filter((l) => l.style === "box").map((l) => l.plain);
  assertEquals(box.join("").replaceAll(" ", "").includes(fp), true, box.join("|"));
  assert(box.length >= 4, box.join("|"));
  assert(box.every((l) => l.length <= 40));
  assertEquals(box.at(-1), "         valid 2026-01-01 to 2027-01-01");
});

Deno.test("questions wait in a queue; one replaces the user's own URL prompt", () => {
  let s = withPage("x");
  const ask = (id: number) => ({
    type: "ask" as const,
    prompt: { kind: "input" as const, id, label: `Q${id}`, value: "" },
  });
  s = keys(s, "o").state;
  s = update(s, ask(1)).state;
  assertEquals(s.prompt?.id, 1);
  s = update(s, ask(2)).state;
  assertEquals(s.queued.length, 1);
  s = keys(s, "enter").state;
  assertEquals(s.prompt?.id, 2);
  s = update(s, { type: "unask", id: 2 }).state;
  assertEquals(s.prompt, undefined);
});

Deno.test("progress shows in the status line while loading, and on the message line", () => {
  const loading = keys(withPage("x", { width: 100 }), "R").state;
  const s = update(loading, { type: "progress", text: "Saving a.bin: 64.0 KiB" }).state;
  assertEquals(screen(s).at(-1), "Saving a.bin: 64.0 KiB (Esc cancels)");
  assertEquals(screen(loading).at(-1), `Loading ${URL_}… (Esc cancels)`);
  assertEquals(screen(s).at(-2), `→ ${URL_} │ Saving a.bin: 64.0 KiB`);
  const done = update(s, { type: "finished", id: s.loading!.id, message: "Saved" }).state;
  assertEquals(done.progress, undefined);
  assertEquals(screen(done).at(-2), `${URL_} │ 20 text/gemini`);
});

Deno.test("plain text pages are wrapped, not parsed as gemtext", () => {
  const s = withPage("=> /x not a link\n# not a heading", {}, { mediaType: "text/plain" });
  assertEquals(s.layout.links, []);
  assertEquals(screen(s).slice(0, 2), ["=> /x not a link", "# not a heading"]);
});

Deno.test("typedUrl(), parentUrl() and rootUrl()", () => {
  assertEquals(typedUrl("example.org"), "gemini://example.org");
  assertEquals(typedUrl("localhost:1965/x"), "gemini://localhost:1965/x");
  assertEquals(typedUrl("gopher://h/1"), "gopher://h/1");
  assertEquals(typedUrl("about:help"), "about:help");
  assertEquals(typedUrl("  "), "");
  assertEquals(parentUrl("gemini://h/a/b/c.gmi"), "gemini://h/a/b/");
  assertEquals(parentUrl("gemini://h/a/b/"), "gemini://h/a/");
  assertEquals(parentUrl("gemini://h/a"), "gemini://h/");
  assertEquals(parentUrl("gemini://h/a?q"), "gemini://h/a");
  assertEquals(parentUrl("gemini://h/"), undefined);
  assertEquals(parentUrl("not a url"), undefined);
  assertEquals(rootUrl("gemini://h:1966/a/b"), "gemini://h:1966/");
  assertEquals(rootUrl("about:help"), undefined);
});

Deno.test("the README key tables list every key of the browser and of its prompts", async () => {
  const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
  const section = readme.slice(
    readme.indexOf("## gemini browse"),
    readme.indexOf("## gemini serve"),
  );
  for (const k of [...KEYS, ...PROMPT_KEYS]) {
    assert(
      new RegExp(
        "\\| `" + k.keys.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "`\\s+\\| " +
          k.action.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      ).test(section),
      k.keys,
    );
  }
});

Deno.test("the key tables drive the keys: every key named in a table does something", () => {
  const s = withPage(LINKS, { width: 80, height: 12 });
  for (const row of PAGE_KEYMAP) {
    for (const [key, command] of Object.entries(row.keys)) {
      assertEquals(pageCommand(key), command, key);
    }
  }
  for (const row of PROMPT_KEYMAP) {
    for (const [key, command] of Object.entries(row.keys)) {
      assertEquals(promptCommand(key), command, key);
    }
  }
  // A key in no table does nothing on a page.
  const r = update(s, "z");
  assertEquals(r.effects, []);
  assertEquals(r.state, s);
});
