// Tabs, link picking for new tabs and the clipboard, and the line editor of the prompts, on
// the model alone (no I/O).

import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import {
  type BrowserState,
  type Effect,
  initialState,
  type Page,
  statusText,
  update,
  view,
} from "../../../lib/cli/browse/model.ts";
import { MAX_TABS } from "../../../lib/cli/browse/state.ts";

const BASE = "gemini://example.org/";

function page(url: string, body: string): Page {
  return { url, body, mediaType: "text/gemini", status: 20 };
}

function links(n: number): string {
  return "# Links\n" + Array.from({ length: n }, (_, i) => `=> /${i + 1} Link ${i + 1}`).join("\n");
}

function run(state: BrowserState, ...inputs: Parameters<typeof update>[1][]): {
  state: BrowserState;
  effects: Effect[];
} {
  const effects: Effect[] = [];
  for (const input of inputs) {
    const r = update(state, input);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

/** Completes the fetch in flight with `body`. */
function land(state: BrowserState, body: string): BrowserState {
  const loading = state.loading!;
  return update(state, { type: "loaded", id: loading.id, page: page(loading.url, body) }).state;
}

function start(body = links(3)): BrowserState {
  const s = {
    ...initialState({ width: 80, height: 12 }),
    loading: { id: 1, url: BASE, nav: "push" as const },
  };
  return update(s, { type: "loaded", id: 1, page: page(BASE, body) }).state;
}

Deno.test("t then a link number opens it in a new tab next to this one; [ ] and Alt-N switch", () => {
  const one = start();
  const opened = run(one, "t", "2");
  assertEquals(opened.effects, [{ type: "fetch", id: one.nextId, url: `${BASE}2`, nav: "push" }]);
  let s = opened.state;
  assertEquals(s.tabs.length, 2);
  assertEquals(s.tab, 1);
  assertEquals(s.page, undefined, "the new tab is empty until its page arrives");
  s = land(s, "# Two\n");
  assertEquals(s.page?.title, "Two");
  assertEquals(s.back, [], "a new tab has no history");
  assert(statusText(s).startsWith(`[2/2] ${BASE}2`), statusText(s));
  // [ ] and Alt-N switch; the other tab is as it was left.
  const back = run(s, "[").state;
  assertEquals(back.tab, 0);
  assertEquals(back.page?.url, BASE);
  assertEquals(back.message, "Tab 1 of 2: Links");
  assertEquals(run(back, "]").state.page?.title, "Two");
  assertEquals(run(back, "alt-2").state.page?.title, "Two");
  assertEquals(run(back, "alt-9").state.message, "No tab 9 (2 open)");
  assertEquals(run(s, "]").state.tab, 0, "wraps around");
});

Deno.test("t on a selected link opens it at once; T duplicates the page; x closes a tab", () => {
  const one = start();
  const r = run(one, "tab", "tab", "t");
  assertEquals(r.effects.at(-1), { type: "fetch", id: one.nextId, url: `${BASE}2`, nav: "push" });
  const dup = run(one, "j", "T").state;
  assertEquals(dup.tabs.length, 2);
  assertEquals(dup.page, one.page, "the same page, from memory");
  assertEquals(run(one, "T").effects, [], "no request");
  const closed = run(dup, "x").state;
  assertEquals(closed.tabs.length, 1);
  assertEquals(closed.tab, 0);
  assertEquals(closed.page, one.page);
  assertEquals(run(closed, "x").state.message, "This is the only tab; q quits");
  // Closing a tab whose page is loading cancels the load.
  const loading = run(one, "t", "3").state;
  assertEquals(run(loading, "x").effects, [{ type: "cancel" }]);
});

Deno.test("L lists the tabs in a choice prompt; a digit switches", () => {
  let s = start();
  s = land(run(s, "t", "1").state, "# First\n=> /a A\n");
  s = land(run(s, "t", "1").state, "# First again\n");
  const listed = run(s, "L").state;
  assertEquals(listed.prompt?.kind, "choice");
  const text = view(listed).map((l) => l.plain).join("\n");
  for (const part of ["Switch to tab (now 3 of 3):", "[1] Links", "[2] First", "[3] First again"]) {
    assertStringIncludes(text, part);
  }
  const picked = run(listed, "1");
  assertEquals(picked.effects, []);
  assertEquals(picked.state.tab, 0);
  assertEquals(picked.state.prompt, undefined);
  assertEquals(run(listed, "escape").state.tab, 2);
});

Deno.test("at most MAX_TABS tabs", () => {
  let s = start();
  for (let i = 1; i < MAX_TABS; i++) s = run(s, "T").state;
  assertEquals(s.tabs.length, MAX_TABS);
  const more = run(s, "T");
  assertEquals(more.state.tabs.length, MAX_TABS);
  assertEquals(more.state.message, `At most ${MAX_TABS} tabs; close one with x`);
  assertEquals(run(s, "t", "1").effects, []);
});

Deno.test("a page for another tab lands in that tab; one fetch runs at a time", () => {
  let s = start();
  s = run(s, "t", "2").state; // tab 2 loads /2
  const id = s.loading!.id;
  s = run(s, "[").state; // back to tab 1 while it loads
  assertEquals(s.loading, undefined);
  assert(statusText(s).startsWith("[1/2]"));
  s = update(s, { type: "loaded", id, page: page(`${BASE}2`, "# Two\n") }).state;
  assertEquals(s.page?.url, BASE, "the shown tab does not change");
  assertEquals(s.message, "Tab 2: Two");
  assertEquals(s.tabs[1].page?.title, "Two");
  assertEquals(s.tabs[1].loading, undefined);
  // A fetch in this tab stops the fetch of another tab.
  let t = run(start(), "t", "2", "[").state;
  const other = t.tabs[1].loading!.id;
  const r = run(t, "R");
  assertEquals(r.effects[0], { type: "cancel" });
  t = r.state;
  assertEquals(t.tabs[1].loading, undefined);
  assertEquals(
    update(t, { type: "loaded", id: other, page: page(`${BASE}2`, "late") }).state.tabs[1].page,
    undefined,
  );
  // Escape cancels a fetch in another tab too.
  const bg = run(start(), "t", "2", "[");
  assertEquals(run(bg.state, "escape").effects, [{ type: "cancel" }]);
  assertEquals(run(bg.state, "escape").state.tabs[1].loading, undefined);
  // A background fetch that ends without a page says so for its tab.
  const ended = update(bg.state, {
    type: "finished",
    id: bg.state.tabs[1].loading!.id,
    message: "Download cancelled",
  });
  assertEquals(ended.state.message, "Tab 2: Download cancelled");
});

Deno.test("y then a link number, or y on a selected link, copies its URL; Y copies the page's", () => {
  const s = start();
  assertEquals(run(s, "y", "3").effects, [{ type: "copy", text: `${BASE}3` }]);
  assertEquals(run(s, "y", "3").state.message, `Copied to the clipboard: ${BASE}3`);
  assertEquals(run(s, "tab", "y").effects, [{ type: "copy", text: `${BASE}1` }]);
  assertEquals(run(s, "Y").effects, [{ type: "copy", text: BASE }]);
  const waiting = run(s, "y").state;
  assertEquals(view(waiting).at(-1)?.plain, "Copy the URL of link number? (Enter; Esc cancels)");
  assertEquals(run(waiting, "escape").state.pick, undefined);
  assertEquals(run(waiting, "escape", "2").effects[0].type, "fetch", "digits follow again");
  assertEquals(run(s, "y", "9").state.message, "No link 9 on this page");
  assertEquals(run(start("# none"), "y").state.message, "No links on this page");
  // With many links the same rule as following: 1 waits for 12.
  const many = start(links(15));
  assertEquals(run(many, "t", "1").effects, []);
  assertEquals(run(many, "t", "1", "2").effects.at(-1), {
    type: "fetch",
    id: many.nextId,
    url: `${BASE}12`,
    nav: "push",
  });
  assertEquals(run(many, "y", "1", "enter").effects, [{ type: "copy", text: `${BASE}1` }]);
});

Deno.test("every prompt edits with Left/Right, Home/End, Delete and Ctrl-A/E/W/K/U", () => {
  const s = start();
  const typed = (state: BrowserState): string => state.prompt?.value ?? "";
  let p = run(s, "o", ..."red blue green").state;
  p = run(p, "ctrl-w").state;
  assertEquals(typed(p), "red blue ");
  p = run(p, ..."yellow", "home", ">").state;
  assertEquals(typed(p), ">red blue yellow");
  p = run(p, "end", "left", "left", "left", "left", "left", "left", "ctrl-k").state;
  assertEquals(typed(p), ">red blue ");
  p = run(p, "ctrl-a", "delete", "ctrl-e", "x").state;
  assertEquals(typed(p), "red blue x");
  p = run(p, "ctrl-left", "ctrl-u").state;
  assertEquals(typed(p), "x");
  p = run(p, "right", "backspace", ..."ab", "left", "ctrl-d").state;
  assertEquals(typed(p), "a");
  // The same editor in a server's question.
  let q = update(s, { type: "ask", prompt: { kind: "input", id: 5, label: "Q", value: "" } }).state;
  q = run(q, ..."helo", "left", "l", "end", "!").state;
  assertEquals(run(q, "enter").effects, [{ type: "answer", id: 5, value: "hello!" }]);
});

Deno.test("Up and Down recall this session's answers by kind, never hidden ones", () => {
  let s = start();
  s = run(s, "o", ..."a.example", "enter").state;
  s = land(s, "# A");
  s = run(s, "o", ..."b.example", "enter").state;
  s = land(s, "# B");
  let p = run(s, "o", ..."dra", "up").state;
  assertEquals(p.prompt?.value, "b.example", "newest first");
  p = run(p, "up").state;
  assertEquals(p.prompt?.value, "a.example");
  assertEquals(run(p, "up").state.prompt?.value, "a.example", "no older answer");
  p = run(p, "down", "down").state;
  assertEquals(p.prompt?.value, "dra", "back to the draft");
  // Answers to a server's questions have their own history; a hidden answer is never kept.
  const ask = (kind: "input" | "secret", id: number) => ({
    type: "ask" as const,
    prompt: { kind, id, label: "Q", value: "" },
  });
  let q = run(s, ask("secret", 1), ..."hunter2", "enter", ask("input", 2), ..."Zed", "enter").state;
  q = run(q, ask("input", 3), "up").state;
  assertEquals(q.prompt?.value, "Zed");
  assertEquals(run(q, "up").state.prompt?.value, "Zed");
  assert(!JSON.stringify(q.answers).includes("hunter2"));
  const secret = run(q, "escape", ask("secret", 4), "up").state;
  assertEquals(secret.prompt?.value, "", "no history in a hidden prompt");
  assertEquals(run(s, "/", "up").state.prompt?.value, "", "searches have their own history");
});

Deno.test("e opens the URL prompt with the page's URL, cursor at the end", () => {
  const s = start();
  const edit = run(s, "e").state;
  assertEquals(edit.prompt?.kind, "url");
  assertEquals(edit.prompt?.value, BASE);
  assertEquals(edit.prompt?.cursor, BASE.length);
  const r = run(edit, "backspace", ..."/x", "enter");
  assertEquals(r.effects, [{
    type: "fetch",
    id: s.nextId,
    url: "gemini://example.org/x",
    nav: "push",
  }]);
  assertEquals(run(initialState(), "e").state.prompt?.value, "");
});
