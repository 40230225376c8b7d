/**
 * The line mode of `gemini browse`: one command table drives the commands, the line mode's
 * own commands and `help`; questions read through the shared prompt reader (Ctrl-C cancels a
 * question, a hidden answer never shows).
 */

import { assertEquals, assertStringIncludes } from "../../_helpers/assert.ts";
import { fakeResponse } from "../../_helpers/fake_response.ts";
import { main } from "../../../lib/cli/browse.ts";
import type { Fetcher } from "../../../lib/cli/browse/browser.ts";
import {
  commandKeys,
  LINE_COMMANDS,
  lineHelp,
  localCommand,
} from "../../../lib/cli/browse/line_mode.ts";
import { memoryIo } from "../../../lib/cli/io.ts";
import type { ClientHooks } from "../../../lib/client/types.ts";

Deno.test("the line-mode table drives commandKeys(), localCommand() and help", () => {
  const seen = new Set<string>();
  for (const row of LINE_COMMANDS) {
    for (const [word, key] of Object.entries(row.words ?? {})) {
      assertEquals(commandKeys(word), [key], word);
      assertEquals(localCommand(word), undefined, word);
      seen.add(word);
    }
    for (const [word, local] of Object.entries(row.local ?? {})) {
      assertEquals(localCommand(word), local, word);
      seen.add(word);
    }
  }
  // Every word a row lists (but `exit`, an alias of quit) is in its label, so help shows it.
  for (const row of LINE_COMMANDS) {
    for (const word of [...Object.keys(row.words ?? {}), ...Object.keys(row.local ?? {})]) {
      if (word !== "exit") assertStringIncludes(row.label, word);
    }
  }
  assertEquals(seen.size, 29);
});

Deno.test("line-mode help lists the table as it always has", () => {
  assertEquals(
    lineHelp(),
    [
      "  N                                follow link number N",
      "  URL, o URL, go URL               open a URL",
      "  b, back / f, forward             history",
      "  r, reload                        reload the page",
      "  p, print                         print the page again",
      "  /TEXT, n, N                      search, next, previous match",
      "  up, root                         up one path level, capsule root",
      "  B, bookmark / m, bookmarks       toggle a bookmark, list bookmarks",
      "  h, history                       visited pages",
      "  s, subscribe / S, subscriptions  subscribe to this page, new feed entries",
      "  M, messages                      the recent messages",
      "  ?, help                          this list",
      "  q, quit                          quit",
      "",
    ].join("\n"),
  );
});

Deno.test("line-mode words that are object properties are unknown commands", () => {
  for (const word of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    assertEquals(commandKeys(word), undefined, word);
    assertEquals(localCommand(word), undefined, word);
  }
});

/** A capsule whose /secret asks for a hidden answer; what the fetcher was answered. */
function secretCapsule(
  answers: (string | null)[],
): (paths: unknown, hooks: ClientHooks) => Fetcher {
  return (_paths: unknown, hooks: ClientHooks): Fetcher => async (url) => {
    const u = new URL(url);
    if (u.pathname === "/secret") {
      const answer = await hooks.onInput!({ url: u, prompt: "Password", sensitive: true });
      answers.push(answer);
      if (answer === null) throw new Error("Input cancelled");
      return fakeResponse(url, 20, "text/gemini", `# Welcome ${answer.length}\n`);
    }
    return fakeResponse(url, 20, "text/gemini", "# Home\n=> /secret Secret\n");
  };
}

Deno.test("line mode: Ctrl-C cancels a hidden question, then commands go on", async () => {
  const home = await Deno.makeTempDir();
  try {
    const answers: (string | null)[] = [];
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "1\nzq9\x03help\nq\n" });
    const code = await main(["gemini://h.example/"], io, { makeFetcher: secretCapsule(answers) });
    assertEquals(code, 0);
    assertEquals(answers, [null]);
    const out = io.stdout.text();
    assertStringIncludes(out, "Password (hidden): ");
    assertStringIncludes(out, lineHelp());
    assertEquals(out.includes("zq9"), false);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("line mode: a hidden answer is read with its Backspaces and never printed", async () => {
  const home = await Deno.makeTempDir();
  try {
    const answers: (string | null)[] = [];
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "1\nhunter22\x7f\rq\n" });
    const code = await main(["gemini://h.example/"], io, { makeFetcher: secretCapsule(answers) });
    assertEquals(code, 0);
    assertEquals(answers, ["hunter2"]);
    const out = io.stdout.text();
    assertStringIncludes(out, "# Welcome 7");
    assertEquals(out.includes("hunter"), false);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
