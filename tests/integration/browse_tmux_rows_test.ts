/**
 * End-to-end tests of `gemini browse` for the rows of the comparison with Amfora (issue 12):
 * the real `./gemini` runs inside tmux against the test capsule on 127.0.0.1, at 40, 60, 100
 * and 200 columns. Keys go in with send-keys; the screen comes back with capture-pane and is
 * polled (bounded) until it shows what is expected.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import {
  type Capsule,
  QUESTION,
  startCapsule,
  TAB_LINE,
  WIDE_LINE,
} from "../_helpers/browse_capsule.ts";
import { requireTmux, Tmux } from "../_helpers/tmux.ts";
import { waitFor } from "../_helpers/wait.ts";
import { groupedFingerprint } from "../../lib/cli/browse/browser.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GEMINI = join(ROOT, "gemini");

interface Size {
  width: number;
  height: number;
}

async function session(
  home: string,
  args: string[],
  size: Size,
  options: Record<string, string> = {},
): Promise<Tmux> {
  const tmux = new Tmux();
  await tmux.start([GEMINI, "browse", ...args], {
    env: { GEMINI_HOME: home, TERM: "xterm-256color", NO_COLOR: "1" },
    ...size,
    cwd: ROOT,
    options,
  });
  return tmux;
}

async function quit(tmux: Tmux): Promise<void> {
  await tmux.keys("q");
  await tmux.waitForExit();
  await tmux.close();
}

/** The screen without any white space: text wrapped anywhere still matches. */
function squash(text: string): string {
  return text.replace(/\s+/g, "");
}

function rows(screen: string): string[] {
  return screen.replace(/\n$/, "").split("\n");
}

/** Waits until every part shows on screen. */
function showing(tmux: Tmux, parts: string[], what = parts.join(", ")): Promise<string> {
  return tmux.waitFor((s) => parts.every((p) => s.includes(p)), what);
}

async function withCapsule(
  prefix: string,
  fn: (home: string, capsule: Capsule, base: string) => Promise<void>,
  slowMs?: number,
): Promise<void> {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix });
  const capsule = await startCapsule(0, slowMs);
  try {
    await fn(home, capsule, `gemini://127.0.0.1:${capsule.port}/`);
  } finally {
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("browse in tmux: every prompt shows its whole question and every key at 40 to 200 columns; long messages read whole with M", async () => {
  await withCapsule("browse-prompts-", async (home, capsule, base) => {
    const port = capsule.port;
    const tmux = await session(home, [`${base}elsewhere.gmi`], { width: 40, height: 24 });
    try {
      await tmux.waitFor("# Elsewhere");
      for (const width of [40, 60, 100, 200]) {
        await tmux.resize(width, 24);
        // Drawn at the new width: the key hints end at its last column (none fit in 40).
        await tmux.waitFor((s) =>
          s.includes("# Elsewhere") &&
          (width === 40 || rows(s).some((r) => r.length === width && r.endsWith("q quit")))
        );

        // The gopher consent prompt: the question and all three keys.
        await tmux.type("2");
        let screen = await showing(tmux, [
          "[y] yes, this time",
          "[a] always for this host",
          "[n] no",
        ]);
        assertStringIncludes(
          squash(screen),
          squash(`gopher is NOT encrypted. Connect to 127.0.0.1:${port}?`),
        );
        await tmux.type("n");
        await tmux.waitFor((s) =>
          squash(s).includes(squash("Not connected: the scheme is not encrypted"))
        );

        // The cross-host redirect prompt.
        await tmux.type("1");
        screen = await showing(tmux, ["[y] yes", "[n] no"]);
        assertStringIncludes(
          squash(screen),
          squash(
            `127.0.0.1:${port} redirects to another host: gemini://localhost:${port}/one.gmi — follow?`,
          ),
        );
        await tmux.type("n");
        await tmux.waitFor((s) =>
          squash(s).includes(squash(`Redirect to gemini://localhost:${port}/one.gmi not followed`))
        );

        // A 140-character question (status 10), answered.
        await tmux.type("5");
        screen = await tmux.waitFor(
          (s) => squash(s).includes(squash(QUESTION)),
          "the whole question",
        );
        await tmux.type(`fine at ${width}`);
        await tmux.keys("Enter");
        await tmux.waitFor(`You said: fine at ${width}`);
        await tmux.type("b");
        await tmux.waitFor("# Elsewhere");
      }

      // A redirect to a very long URL: the whole URL and both keys at 40 columns; the message
      // that says it was not followed is taller than a third of 12 rows, and M shows it whole.
      await tmux.resize(40, 24);
      // Drawn at 40 columns, not a wider frame cut by tmux: the status line is the URL alone.
      await tmux.waitFor((s) => rows(s).includes(`${base}elsewhere.gmi`), "40 columns");
      const far = `gemini://localhost:${port}/${"a-very-long-path-segment/".repeat(10)}end`;
      await tmux.type("4");
      let screen = await showing(tmux, ["[y] yes", "[n] no"]);
      assertStringIncludes(squash(screen), squash(far));
      await tmux.resize(40, 12);
      await tmux.waitFor("[n] no");
      await tmux.type("n");
      screen = await tmux.waitFor("… M: read all", "a message cut with a pointer to M");
      assert(!squash(screen).includes(squash(far)), "the message is cut at 12 rows");
      await tmux.type("M");
      await tmux.waitFor("# Messages");
      await tmux.resize(40, 30);
      screen = await tmux.waitFor(
        (s) => squash(s).includes(squash(`Redirect to ${far} not followed`)),
        "the whole message",
      );
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  });
});

/** The SPKI fingerprint pinned for `port` in the data dir's known_hosts. */
async function pinned(home: string, port: number): Promise<string> {
  const text = await Deno.readTextFile(join(home, "data", "known_hosts"));
  const line = text.split("\n").find((l) => l.startsWith(`127.0.0.1 ${port} `));
  assert(line, text);
  return line.split(" ")[3];
}

Deno.test("browse in tmux: the certificate-changed prompt and page label and wrap both fingerprints at 40 and 60 columns and name browse's keys", async () => {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix: "browse-cert-" });
  let capsule: Capsule = await startCapsule();
  const port = capsule.port;
  const url = `gemini://127.0.0.1:${port}/`;
  let tmux = await session(home, [url], { width: 60, height: 30 });
  try {
    await tmux.waitFor("trusted (first use)");
    await quit(tmux);
    const old = groupedFingerprint(await pinned(home, port)).split(" ");
    capsule.close();
    capsule = await startCapsule(port);

    tmux = await session(home, [url], { width: 40, height: 30 });
    let screen = await showing(tmux, [
      "[a] abort",
      "[o] trust once (this session)",
      "[s] trust and save",
    ]);
    assertStringIncludes(screen, "Trusted key, SHA-256");
    assertStringIncludes(screen, "New key, SHA-256");
    // The old fingerprint, each group of eight bytes on a row of its own, under its label.
    const lines = rows(screen);
    const label = lines.findIndex((r) => r.startsWith("Trusted key, SHA-256"));
    for (const g of old) {
      assert(lines.slice(label).some((r) => r.trim() === g), `${g} in\n${screen}`);
    }
    const promptScreen = screen;

    // Abort: the page explains, with the fingerprints above the instructions.
    await tmux.type("a");
    await tmux.waitFor("# Certificate changed");
    await tmux.type("G");
    screen = await tmux.waitFor("Otherwise press b to go back.");
    assert(!screen.includes("--trust-new"));
    assertStringIncludes(
      squash(screen),
      squash("press R, then o to trust it until you quit or s to trust it and save it"),
    );
    assertStringIncludes(squash(screen), squash("compare its fingerprint with the new one above"));
    const page = rows(screen);
    const newLabel = page.findIndex((r) => r.startsWith("New key, SHA-256"));
    const todo = page.findIndex((r) => r.startsWith("What to do:"));
    assert(newLabel >= 0 && newLabel < todo, screen);
    assertEquals(
      page.slice(newLabel, todo).filter((r) => /^([0-9A-F]{2}:){7}[0-9A-F]{2}$/.test(r)).length,
      4,
      "the new fingerprint, a group per row, between its label and the instructions",
    );

    // At 60 columns two groups fit a row.
    await tmux.resize(60, 30);
    await tmux.type("G");
    screen = await tmux.waitFor((s) =>
      rows(s).filter((r) => /^([0-9A-F]{2}:){7}[0-9A-F]{2} ([0-9A-F]{2}:){7}[0-9A-F]{2}$/.test(r))
        .length >= 2
    );

    // R asks again; s saves the new key, which is the one the prompt showed.
    await tmux.type("R");
    await tmux.waitFor("[s] trust and save");
    await tmux.type("s");
    await tmux.waitFor("trusted (new key saved)");
    for (const g of groupedFingerprint(await pinned(home, port)).split(" ")) {
      assert(
        rows(promptScreen).some((r) => r.trim() === g),
        `new ${g} was shown:\n${promptScreen}`,
      );
    }
    await quit(tmux);
  } finally {
    await tmux.close();
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("browse in tmux: tabs in preformatted text leave no stale cells; wide blocks scroll sideways; a dirty screen repaints clean", async () => {
  await withCapsule("browse-pre-", async (home, _capsule, base) => {
    const tmux = await session(home, [`${base}pre.gmi`], { width: 60, height: 20 });
    try {
      let screen = await tmux.waitFor("After the block.");
      const tabRow = "a       b       c";
      assertEquals(TAB_LINE.includes("\t"), true);
      assertEquals(rows(screen)[2], tabRow);
      assertEquals(rows(screen)[3], WIDE_LINE.slice(0, 60));
      assert(rows(screen).at(-1)!.endsWith("< > scroll sideways · ? help · q quit"), screen);
      // One row down, the tab row is drawn where 38 X were: none of them shows through.
      await tmux.type("j");
      screen = await tmux.waitFor((s) => rows(s)[1] === tabRow, "the tab row, clean");
      assertEquals(rows(screen)[0], "X".repeat(38));
      await tmux.type("k");
      await tmux.waitFor((s) => rows(s)[0] === "# Preformatted");

      // Sideways: > and < move preformatted rows only, within the widest row.
      await tmux.type(">");
      screen = await tmux.waitFor((s) => rows(s)[3] === WIDE_LINE.slice(30, 90), "30 columns on");
      assertEquals(rows(screen)[4], "After the block.", "wrapped text stays");
      await tmux.type(">>>");
      screen = await tmux.waitFor((s) => rows(s)[3] === WIDE_LINE.slice(63), "the end of the row");
      assert(rows(screen)[3].endsWith("END"), screen);
      await tmux.type("<<<<");
      await tmux.waitFor((s) => rows(s)[3] === WIDE_LINE.slice(0, 60), "back at the start");

      // At 100 columns the status line says which columns show; at 40 the keys work alike.
      await tmux.resize(100, 20);
      await tmux.waitFor("cols 1-100/123 < >");
      await tmux.resize(40, 20);
      // Drawn at 40 columns (not a wider frame cut by tmux): the status line is the URL alone.
      screen = await tmux.waitFor((s) => rows(s).includes(`${base}pre.gmi`), "40 columns");
      assertEquals(rows(screen)[3], WIDE_LINE.slice(0, 40));
      await tmux.type(">");
      screen = await tmux.waitFor((s) => rows(s)[3] === WIDE_LINE.slice(20, 60), "20 columns on");
      assertEquals(rows(screen)[2], "", "the tab row scrolled out of view");
      await tmux.type("<");
      const clean = await tmux.waitFor((s) => rows(s)[2] === tabRow);

      // Another program writes all over the screen; Ctrl-L repaints it exactly.
      const tty = await tmux.paneTty();
      const garbage = Array.from(
        { length: 20 },
        (_, r) => `\x1b[${r + 1};1H${"#GARBAGE".repeat(5)}`,
      ).join("");
      await Deno.writeTextFile(tty, garbage);
      await tmux.waitFor("#GARBAGE#GARBAGE");
      await tmux.keys("C-l");
      await tmux.waitFor((s) => s === clean, "the screen as it was");

      // The help page lists the keys.
      await tmux.type("?");
      await tmux.waitFor((s) =>
        squash(s).includes(squash("<, >: scroll wide preformatted text left / right"))
      );
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  });
});

Deno.test("browse in tmux: back and forward come from memory; a hidden answer is never sent again without asking; R reloads", async () => {
  await withCapsule("browse-cache-", async (home, capsule, base) => {
    const tmux = await session(home, [base], { width: 60, height: 20 });
    const sent = (): string[] => capsule.requests.map((l) => l.replace(base, "/"));
    try {
      await tmux.waitFor("Welcome to the capsule.");
      // Sensitive input (11), then a slow page.
      await tmux.type("4");
      await tmux.waitFor("Password:");
      await tmux.type("pw");
      await tmux.keys("Enter");
      await tmux.waitFor("Password length 2.");
      await tmux.type("o");
      await tmux.type(`${base}slow`);
      await tmux.keys("Enter");
      await tmux.waitFor("It took a while.");
      assertEquals(sent(), ["/", "/secret", "/secret?pw", "/slow"]);

      // Back, back, forward, forward: every page at once from memory, nothing sent.
      await tmux.type("b");
      let screen = await tmux.waitFor("Password length 2.");
      assertStringIncludes(screen, "/secret?…");
      assert(!screen.includes("?pw"));
      await tmux.type("b");
      await tmux.waitFor("Welcome to the capsule.");
      await tmux.type("f");
      await tmux.waitFor("Password length 2.");
      await tmux.type("f");
      await tmux.waitFor("It took a while.");
      assertEquals(sent().length, 4, "back and forward sent nothing");

      // R is the one way to fetch again.
      await tmux.type("R");
      // The page on screen already matches: wait for the request itself, then for the page.
      await waitFor(() => sent().length >= 5, "the reload's request", { timeoutMs: 20_000 });
      await tmux.waitFor((s) => s.includes("It took a while.") && !s.includes("→"), "the reload");
      assertEquals(sent().at(-1), "/slow");
      assertEquals(sent().length, 5);

      // R on the page reached with the hidden answer asks first; n sends nothing.
      await tmux.type("b");
      await tmux.waitFor("Password length 2.");
      await tmux.type("R");
      screen = await showing(tmux, ["[y] yes, send it again", "[n] no"]);
      assertStringIncludes(
        squash(screen),
        squash(`Reloading sends it to 127.0.0.1:${capsule.port} again.`),
      );
      await tmux.type("n");
      await tmux.waitFor("Not reloaded: the answer was not sent again");
      assertEquals(sent().length, 5);
      await tmux.type("R");
      await tmux.waitFor("[y] yes, send it again");
      await tmux.type("y");
      await waitFor(() => sent().length >= 6, "the answer sent again", { timeoutMs: 20_000 });
      await tmux.waitFor((s) => s.includes("Password length 2.") && !s.includes("→"));
      assertEquals(sent().slice(5), ["/secret?pw"]);
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  }, 1500);
});

Deno.test("browse in tmux: the line editor moves, deletes and recalls answers; e edits the URL", async () => {
  await withCapsule("browse-edit-", async (home, capsule, base) => {
    const tmux = await session(home, [base], { width: 60, height: 20 });
    // The last row of the screen, without the key hints drawn at its right end.
    const last = (s: string): string =>
      (rows(s).filter((r) => r.trim() !== "").at(-1) ?? "").replace(
        / +Enter \w+ · Esc cancels$/,
        "",
      );
    try {
      await tmux.waitFor("Welcome to the capsule.");
      await tmux.type("3");
      await tmux.waitFor("What is your name?");
      await tmux.type("Zed");
      await tmux.keys("Enter");
      await tmux.waitFor("# Hello Zed");

      await tmux.type("o");
      await tmux.type(`${base}question`);
      await tmux.keys("Enter");
      await tmux.waitFor((s) => squash(s).includes(squash(QUESTION)));
      await tmux.type("red blue green");
      await tmux.keys("C-w");
      await tmux.waitFor((s) => last(s).endsWith("red blue"));
      await tmux.type("yellow");
      await tmux.keys("Home");
      await tmux.type(">");
      await tmux.keys("End", "Left", "Left", "Left", "Left", "Left", "Left", "C-k");
      await tmux.waitFor((s) => last(s).endsWith(">red blue"));
      await tmux.keys("C-a", "DC", "C-e");
      await tmux.type("x");
      const screen = await tmux.waitFor((s) => /(^| )red blue x$/.test(last(s)), "red blue x");
      assertEquals(
        await tmux.cursor(),
        { x: last(screen).length, y: 19 },
        "the cursor after the x",
      );
      await tmux.keys("Left", "Left", "C-u");
      await tmux.waitFor((s) => last(s).endsWith(" x") && !last(s).includes("blue"));
      // Up recalls the answer given to the first question; Down comes back to the draft.
      await tmux.keys("Up");
      await tmux.waitFor((s) => /(^| )Zed$/.test(last(s)), "Zed recalled");
      await tmux.keys("Down");
      await tmux.waitFor((s) => last(s).endsWith(" x"));
      await tmux.keys("C-a");
      await tmux.type("all done");
      await tmux.keys("Enter");
      await tmux.waitFor("You said: all done x");

      // e: the URL prompt holds this page's URL, ready to edit.
      await tmux.type("o");
      await tmux.type(`${base}one.gmi`);
      await tmux.keys("Enter");
      await tmux.waitFor("# Page one");
      await tmux.type("e");
      await tmux.waitFor(`Open: ${base}one.gmi`);
      await tmux.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
      await tmux.type("two.gmi");
      await tmux.keys("Enter");
      await tmux.waitFor("You followed link two.");
      // Up in the URL prompt: the URLs opened in this session, newest first.
      await tmux.type("o");
      await tmux.keys("Up");
      await tmux.waitFor(`Open: ${base}two.gmi`);
      await tmux.keys("Up");
      await tmux.waitFor(`Open: ${base}one.gmi`);
      await tmux.keys("Escape");
      // (Another key right after Escape would read as Alt-key: wait for the prompt to go.)
      await tmux.waitFor((s) => !s.includes("Open:"), "the prompt closed");
      assertEquals(capsule.requests.some((l) => l.endsWith("question?all%20done%20x")), true);
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  });
});

Deno.test("browse in tmux: one key follows a link; tabs open, list and switch; y copies a URL over OSC 52", async () => {
  await withCapsule("browse-tabs-", async (home, _capsule, base) => {
    const tmux = await session(home, [`${base}nine.gmi`], { width: 60, height: 20 }, {
      "set-clipboard": "on",
    });
    try {
      await tmux.waitFor("[9] Link number 9");
      await tmux.type("9");
      await tmux.waitFor("# Number 9");
      await tmux.type("o");
      await tmux.type(`${base}many.gmi`);
      await tmux.keys("Enter");
      await tmux.waitFor("# 25 links");
      // 2 could be 2 or 20-25: it waits; 5 makes 25.
      await tmux.type("2");
      await tmux.waitFor("Follow link 2 (Enter; Esc cancels)");
      await tmux.type("5");
      await tmux.waitFor("# Number 25");
      await tmux.type("b");
      await tmux.waitFor("# 25 links");
      await tmux.type("3");
      await tmux.waitFor("# Number 3");
      await tmux.type("b");
      await tmux.waitFor("# 25 links");

      // t 4: link 4 in a new tab.
      await tmux.type("t4");
      await showing(tmux, ["# Number 4", "[2/2] "]);
      await tmux.type("L");
      await showing(tmux, ["[1] 25 links", "[2] Number 4", "Switch to tab (now 2 of 2):"]);
      await tmux.type("1");
      await showing(tmux, ["[1/2] ", "# 25 links"]);
      await tmux.type("]");
      await showing(tmux, ["[2/2] ", "# Number 4"]);
      await tmux.keys("M-1");
      await showing(tmux, ["[1/2] ", "# 25 links"]);

      // y 7: the URL of link 7 goes to the terminal's clipboard.
      await tmux.type("y7");
      await tmux.waitFor("Copied to the clipboard");
      assertEquals(await tmux.buffer(), `${base}n/7`);
      await tmux.type("Y");
      await tmux.waitFor((s) =>
        squash(s).includes(squash(`Copied to the clipboard: ${base}many.gmi`))
      );
      assertEquals(await tmux.buffer(), `${base}many.gmi`);

      // x closes this tab; T opens one on the same page. At 40 columns the status line keeps
      // the tab marker and the trust verdict; the URL loses its middle.
      await tmux.type("x");
      await tmux.waitFor((s) => s.includes("# Number 4") && !s.includes("/2] "));
      await tmux.resize(40, 20);
      await tmux.type("T");
      await tmux.waitFor(
        (s) => rows(s).some((r) => /^\[2\/2\] gemini:\/\/127\.0.*….*\/n\/4 │ trusted$/.test(r)),
        "the tab marker at 40",
      );
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  });
});

Deno.test("browse in tmux: mailto opens the program of [browse.schemes]; https offers the system opener or a copy", async () => {
  await withCapsule("browse-schemes-", async (home, _capsule, base) => {
    const out = join(home, "mailer.out");
    const mailer = join(home, "mailer.sh");
    await Deno.writeTextFile(mailer, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\n`);
    await Deno.chmod(mailer, 0o755);
    await Deno.mkdir(join(home, "config"));
    await Deno.writeTextFile(
      join(home, "config", "config.toml"),
      `[browse.schemes]\nmailto = [${JSON.stringify(mailer)}, "--compose"]\n`,
    );
    const tmux = await session(home, [`${base}elsewhere.gmi`], { width: 40, height: 24 }, {
      "set-clipboard": "on",
    });
    try {
      await tmux.waitFor("# Elsewhere");
      await tmux.type("3");
      let screen = await showing(tmux, ["[y] yes", "[c] copy the URL", "[n] no"]);
      assertStringIncludes(
        squash(screen),
        squash(`Open mailto:someone@example.org with ${mailer} --compose?`),
      );
      await tmux.type("y");
      await tmux.waitFor((s) => squash(s).includes(squash("Opened mailto:someone@example.org")));
      for (let i = 0; i < 100; i++) {
        const text = await Deno.readTextFile(out).catch(() => "");
        if (text !== "") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals(await Deno.readTextFile(out), "--compose\nmailto:someone@example.org\n");

      // No handler for https: the system opener is offered, and c copies the URL instead.
      await tmux.type("6");
      screen = await showing(tmux, ["[y] yes", "[c] copy the URL", "[n] no"]);
      assertStringIncludes(squash(screen), squash("Open https://example.com/ with"));
      await tmux.type("c");
      await tmux.waitFor("Copied to the clipboard");
      assertEquals(await tmux.buffer(), "https://example.com/");
      screen = await tmux.waitFor("# Elsewhere");
      assert(!screen.includes("Error"), "no error page");
      await quit(tmux);
    } finally {
      await tmux.close();
    }
  });
});
