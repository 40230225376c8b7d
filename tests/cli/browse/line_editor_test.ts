import { assertEquals } from "../../_helpers/assert.ts";
import {
  applyEdit,
  browseHistory,
  type EditLine,
  editLine,
  insertText,
  remember,
} from "../../../lib/cli/browse/line_editor.ts";

/** A line written with `|` where the cursor is. */
function at(text: string): EditLine {
  const cursor = text.indexOf("|");
  return { value: text.slice(0, cursor) + text.slice(cursor + 1), cursor };
}

function show(line: EditLine): string {
  return line.value.slice(0, line.cursor) + "|" + line.value.slice(line.cursor);
}

Deno.test("applyEdit() moves and deletes like a shell's line editor, at both ends", () => {
  const table: [string, Parameters<typeof applyEdit>[1], string][] = [
    ["ab|c", "left", "a|bc"],
    ["|abc", "left", "|abc"],
    ["ab|c", "right", "abc|"],
    ["abc|", "right", "abc|"],
    ["ab|c", "start", "|abc"],
    ["a|bc", "end", "abc|"],
    ["ab|c", "backspace", "a|c"],
    ["|abc", "backspace", "|abc"],
    ["a|bc", "delete", "a|c"],
    ["abc|", "delete", "abc|"],
    ["one two  |", "delete-word", "one |"],
    ["one tw|o", "delete-word", "one |o"],
    ["|one", "delete-word", "|one"],
    ["one |two", "kill-end", "one |"],
    ["one |two", "kill-start", "|two"],
    ["one two|", "kill-start", "|"],
    ["|", "kill-end", "|"],
    ["one two |three", "word-left", "one |two three"],
    ["|one", "word-left", "|one"],
    ["one| two three", "word-right", "one two| three"],
    ["one|", "word-right", "one|"],
  ];
  for (const [before, command, after] of table) {
    assertEquals(show(applyEdit(at(before), command)), after, `${before} ${command}`);
  }
  // History commands are not edits.
  assertEquals(applyEdit(at("a|b"), "history-previous"), at("a|b"));
});

Deno.test("the cursor steps over whole grapheme clusters: accents, emoji, CJK", () => {
  const text = "e\u0301👍🏽日";
  let line = editLine(text);
  const stops: number[] = [line.cursor];
  for (let i = 0; i < 5; i++) {
    line = applyEdit(line, "left");
    stops.push(line.cursor);
  }
  assertEquals(stops, [text.length, text.length - 1, 2, 0, 0, 0]);
  assertEquals(applyEdit(editLine(text), "backspace").value, "e\u0301👍🏽");
  assertEquals(applyEdit(applyEdit(editLine(text), "backspace"), "backspace").value, "e\u0301");
  assertEquals(applyEdit({ value: text, cursor: 0 }, "delete").value, "👍🏽日");
});

Deno.test("insertText() types at the cursor", () => {
  assertEquals(show(insertText(at("gem|ni"), "i")), "gemi|ni");
  assertEquals(show(insertText(at("|"), "日本")), "日本|");
});

Deno.test("browseHistory() walks older and newer answers and back to the draft, within bounds", () => {
  const history = ["third", "second", "first"];
  const draft = at("dra|");
  assertEquals(
    browseHistory(history, draft, undefined, -1),
    undefined,
    "nothing newer than the draft",
  );
  let step = browseHistory(history, draft, undefined, 1)!;
  const seen = [step.line.value];
  for (let i = 0; i < 2; i++) {
    step = browseHistory(history, step.line, step.position, 1)!;
    seen.push(step.line.value);
  }
  assertEquals(seen, ["third", "second", "first"]);
  assertEquals(step.line.cursor, "first".length);
  assertEquals(browseHistory(history, step.line, step.position, 1), undefined, "nothing older");
  for (const expected of ["second", "third", "dra"]) {
    step = browseHistory(history, step.line, step.position, -1)!;
    assertEquals(step.line.value, expected);
  }
  assertEquals(browseHistory([], draft, undefined, 1), undefined);
});

Deno.test("remember() keeps the newest first, once, at most max, never blank", () => {
  assertEquals(remember([], "a", 2), ["a"]);
  assertEquals(remember(["b", "a"], "a", 2), ["a", "b"]);
  assertEquals(remember(["b", "a"], "c", 2), ["c", "b"]);
  assertEquals(remember(["a"], " ", 2), ["a"]);
});
