import { assert, assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { decodeKeys, paint } from "../../../lib/cli/browse/terminal.ts";
import { commandKeys, LinePrinter } from "../../../lib/cli/browse/line_mode.ts";
import { initialState, update } from "../../../lib/cli/browse/model.ts";
import { memoryIo } from "../../../lib/cli/io.ts";

Deno.test("decodeKeys() names arrows, paging, Home/End, Shift-Tab and control keys", () => {
  const table: [string, string[]][] = [
    ["\x1b[A\x1b[B\x1b[C\x1b[D", ["up", "down", "right", "left"]],
    ["\x1bOA\x1bOB", ["up", "down"]],
    ["\x1b[5~\x1b[6~", ["pageup", "pagedown"]],
    ["\x1b[H\x1b[F\x1b[1~\x1b[4~\x1bOH\x1bOF", ["home", "end", "home", "end", "home", "end"]],
    ["\x1b[Z", ["shift-tab"]],
    ["\x1b[3~", ["delete"]],
    ["\t\r\x7f\x08\x03\x15\x0c", [
      "tab",
      "enter",
      "backspace",
      "backspace",
      "ctrl-c",
      "ctrl-u",
      "ctrl-l",
    ]],
    ["\r\n", ["enter"]],
    ["jk G/", ["j", "k", " ", "G", "/"]],
    ["é日😀", ["é", "日", "😀"]],
    ["\x1b[1;5A\x1b[1;5D\x1b[1;5C\x1b[1;2D\x1b[3;5~", [
      "ctrl-up",
      "ctrl-left",
      "ctrl-right",
      "shift-left",
      "ctrl-delete",
    ]],
    ["\x1bx\x1bb\x1b1", ["alt-x", "alt-b", "alt-1"]],
    ["\x1b\x1b", ["escape", "escape"]],
    ["\x01\x05\x0b\x17\x04", ["ctrl-a", "ctrl-e", "ctrl-k", "ctrl-w", "ctrl-d"]],
    ["\x00\x1f", []],
  ];
  for (const [input, keys] of table) {
    assertEquals(decodeKeys(input, true).keys, keys, JSON.stringify(input));
  }
});

Deno.test("decodeKeys() keeps an escape sequence cut by a read for the next read", () => {
  for (const cut of ["\x1b", "\x1b[", "\x1b[6", "\x1bO"]) {
    const first = decodeKeys("j" + cut, false);
    assertEquals(first.keys, ["j"]);
    assertEquals(first.rest, cut);
  }
  const first = decodeKeys("\x1b[6", false);
  assertEquals(decodeKeys(first.rest + "~", false), { keys: ["pagedown"], rest: "" });
  assertEquals(decodeKeys("\x1b", true), { keys: ["escape"], rest: "" });
  assertEquals(decodeKeys("\x1b[", true).keys, ["escape", "["]);
});

Deno.test("paint() positions every line, pads the status line, shows the cursor only in prompts", () => {
  const out = paint(
    [
      { plain: "hello", text: "\x1b[1mhello\x1b[22m", style: "page" },
      { plain: "[1] link", text: "[1] link", style: "selected" },
      { plain: "a needle b", text: "a needle b", style: "page", marks: [[2, 8]] },
      { plain: "status", text: "status", style: "status" },
      { plain: "Open: x", text: "Open: x", style: "prompt" },
    ],
    10,
    { row: 4, col: 7 },
    (t) => t.length,
  );
  // Every row is erased whole before it is drawn.
  assertStringIncludes(out, "\x1b[1;1H\x1b[0m\x1b[2K\x1b[1mhello\x1b[22m");
  assertStringIncludes(out, "\x1b[7m[1] link\x1b[27m");
  assertStringIncludes(out, "a \x1b[7mneedle\x1b[27m b");
  assertStringIncludes(out, "\x1b[7mstatus    \x1b[27m");
  assert(out.endsWith("\x1b[5;8H\x1b[?25h\x1b[?2026l"));
  assert(!paint([], 10, undefined, (t) => t.length).includes("?25h"));
});

Deno.test("paint() with the previous frame draws only the rows that changed, in one update", () => {
  const before = [
    { plain: "row one", text: "row one", style: "page" as const },
    { plain: "row two", text: "row two", style: "page" as const },
    { plain: "status", text: "status", style: "status" as const },
    { plain: "message", text: "message", style: "message" as const },
  ];
  const after = [before[0], before[1], before[2], {
    plain: "Match 1 of 2",
    text: "Match 1 of 2",
    style: "message" as const,
  }];
  const out = paint(after, 20, undefined, (t) => t.length, before);
  assert(out.startsWith("\x1b[?2026h") && out.endsWith("\x1b[?2026l"));
  assertStringIncludes(out, "\x1b[4;1H\x1b[0m\x1b[2KMatch 1 of 2");
  for (const row of ["\x1b[1;1H", "\x1b[2;1H", "\x1b[3;1H"]) assert(!out.includes(row), row);
  // Same text but now the current search match: drawn again, more strongly.
  const marked = { ...before[1], marks: [[4, 7]] as [number, number][], current: true };
  const again = paint([before[0], marked, before[2], before[3]], 20, undefined, (t) => t.length, [
    before[0],
    { ...before[1], marks: [[4, 7]] },
    before[2],
    before[3],
  ]);
  assertStringIncludes(again, "\x1b[2;1H\x1b[0m\x1b[2Krow \x1b[1;4;7mtwo\x1b[22;24;27m");
  assert(!again.includes("\x1b[1;1H"));
});

Deno.test("commandKeys() maps line-mode commands onto browser keys", () => {
  const table: [string, (string | { type: "follow"; number: number })[] | undefined][] = [
    ["3", [{ type: "follow", number: 3 }]],
    ["12", [{ type: "follow", number: 12 }]],
    ["b", ["b"]],
    ["back", ["b"]],
    ["forward", ["f"]],
    ["reload", ["R"]],
    ["up", ["u"]],
    ["root", ["r"]],
    ["/cat", ["/", "c", "a", "t", "enter"]],
    ["n", ["n"]],
    ["N", ["N"]],
    ["bookmark", ["B"]],
    ["bookmarks", ["m"]],
    ["history", ["h"]],
    ["subscribe", ["s"]],
    ["subscriptions", ["S"]],
    ["messages", ["M"]],
    ["q", ["q"]],
    ["go a.b", ["o", ..."a.b", "enter"]],
    ["gemini://x/", ["o", ..."gemini://x/", "enter"]],
    ["example.org", ["o", ..."example.org", "enter"]],
    ["", []],
    ["frobnicate", undefined],
  ];
  for (const [line, keys] of table) assertEquals(commandKeys(line), keys, line);
});

Deno.test("LinePrinter prints a page once and progress at most once a second", async () => {
  let now = 0;
  const printer = new LinePrinter(() => now);
  let state = initialState({ width: 40, height: 100 });
  state = update({ ...state, loading: { id: 1, url: "gemini://a/", nav: "push" }, nextId: 2 }, {
    type: "loaded",
    id: 1,
    page: { url: "gemini://a/", body: "# A\n", mediaType: "text/gemini" },
  }).state;
  printer.render(state);
  printer.render(state);
  state = { ...state, loading: { id: 2, url: "gemini://a/f", nav: "push" } };
  for (let i = 1; i <= 20; i++) {
    now += 100;
    state = update(state, { type: "progress", text: `Saving f: ${i * 64} KiB` }).state;
    printer.render(state);
  }
  const io = memoryIo();
  await printer.flush(io);
  const out = io.stdout.text();
  assertEquals(out.split("# A").length, 2, "the page is printed once");
  const progress = out.split("\n").filter((l) => l.startsWith("Saving f"));
  // 20 updates over 2 seconds: the first, and the one a second later.
  assertEquals(progress, ["Saving f: 64 KiB", "Saving f: 704 KiB"]);
});
