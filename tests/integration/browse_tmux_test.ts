/**
 * End-to-end tests of `gemini browse` in a real terminal: the real `./gemini` runs inside
 * tmux against a test capsule on 127.0.0.1; keys go in with send-keys, the screen comes back
 * with capture-pane.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { BINARY, type Capsule, startCapsule } from "../_helpers/browse_capsule.ts";
import { requireTmux, Tmux } from "../_helpers/tmux.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GEMINI = join(ROOT, "gemini");

async function session(home: string, args: string[]): Promise<Tmux> {
  const tmux = new Tmux();
  await tmux.start([GEMINI, "browse", ...args], {
    env: { GEMINI_HOME: home, TERM: "xterm-256color", NO_COLOR: "1" },
    width: 100,
    height: 30,
    cwd: ROOT,
  });
  return tmux;
}

async function quit(tmux: Tmux): Promise<void> {
  await tmux.keys("q");
  await tmux.waitForExit();
  await tmux.close();
}

Deno.test("gemini browse in tmux: links, back, input, hidden input, download, search, bookmarks", async () => {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix: "browse-e2e-" });
  const capsule = await startCapsule();
  const url = `gemini://127.0.0.1:${capsule.port}/`;
  let tmux = await session(home, [url]);
  try {
    // Open a page.
    let screen = await tmux.waitFor("Welcome to the capsule.");
    assertStringIncludes(screen, "[2] Second page");
    assertStringIncludes(screen, `${url} │ 20 text/gemini │ trusted (first use)`);

    // A narrower window wraps the page again.
    await tmux.resize(16, 20);
    screen = await tmux.waitFor((s) => /^Welcome to the\s*$/m.test(s), "the page wrapped");
    assertStringIncludes(screen, "capsule.");
    // A window wider than the readable maximum (100) centres the page column.
    await tmux.resize(140, 30);
    await tmux.waitFor((s) => /^ {20}Welcome to the capsule\.$/m.test(s), "a centred page");
    await tmux.resize(100, 30);
    await tmux.waitFor((s) => /^Welcome to the capsule\.$/m.test(s), "the page at the left");

    // Follow link 2, then go back.
    await tmux.type("2");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("You followed link two.");
    assertStringIncludes(screen, `${url}two.gmi`);
    // Back shows the page from memory, as it was: the verdict of the first visit.
    await tmux.type("b");
    await tmux.waitFor((s) =>
      s.includes("Welcome to the capsule.") &&
      s.includes(`${url} │ 20 text/gemini │ trusted (first use)`)
    );

    // Tab selects a link and Enter follows it.
    await tmux.keys("Tab", "Tab", "Enter");
    await tmux.waitFor("You followed link two.");
    await tmux.type("b");
    await tmux.waitFor("Welcome to the capsule.");

    // Input (10): the answer is visible while typed.
    await tmux.type("3");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("What is your name?");
    assertStringIncludes(screen, "Enter sends · Esc cancels");
    await tmux.type("Zed");
    await tmux.waitFor("What is your name? Zed");
    await tmux.keys("Enter");
    await tmux.waitFor("# Hello Zed");
    await tmux.type("b");
    await tmux.waitFor("Welcome to the capsule.");

    // Sensitive input (11): the typed text never appears on screen.
    const secret = "s3cr3tpw";
    const leaks: string[] = [];
    const watch = (s: string): void => {
      if (s.includes(secret)) leaks.push(s);
    };
    await tmux.type("4");
    await tmux.keys("Enter");
    await tmux.waitFor("Password:", "the password prompt", 150, 100, watch);
    for (const ch of secret) {
      await tmux.type(ch);
      watch(await tmux.capture());
    }
    await tmux.waitFor("Password: ********", "the masked answer", 150, 100, watch);
    await tmux.keys("Enter");
    screen = await tmux.waitFor("Password length 8.", "the door", 150, 100, watch);
    assertStringIncludes(screen, "/secret?…");
    assertEquals(leaks, [], "the secret appeared on screen");
    await tmux.type("b");
    await tmux.waitFor("Welcome to the capsule.");

    // A binary file is saved to the downloads folder, never shown as text.
    await tmux.type("5");
    await tmux.keys("Enter");
    await tmux.waitFor("file.bin is application/octet-stream, not text: [s] save");
    await tmux.type("s");
    const saved = join(home, "data", "downloads", "file.bin");
    await tmux.waitFor(`Saved 2.9 KiB to ${saved}`);
    assertEquals(await Deno.readFile(saved), BINARY);

    // Search the long page; n moves to the next match.
    await tmux.type("6");
    await tmux.keys("Enter");
    await tmux.waitFor("# Long page");
    screen = await tmux.capture();
    assert(!screen.includes("platypus"), "the match starts off screen");
    await tmux.type("/platypus");
    await tmux.waitFor("Search: platypus");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("Match 1 of 1");
    assertStringIncludes(screen, "The hidden word is platypus.");
    await tmux.type("g");
    await tmux.waitFor((s) => !s.includes("platypus") && s.includes("# Long page"));
    await tmux.type("n");
    await tmux.waitFor("The hidden word is platypus.");

    // Bookmark the page, quit, start again without a URL: the last page opens and the
    // bookmark is listed.
    await tmux.type("B");
    await tmux.waitFor("Bookmarked: Long page");
    await quit(tmux);
    tmux = await session(home, []);
    await tmux.waitFor(`${url}long.gmi │ 20 text/gemini`);
    await tmux.type("m");
    screen = await tmux.waitFor("# Bookmarks");
    assertStringIncludes(screen, "[1] Long page");
    assertStringIncludes(
      await Deno.readTextFile(join(home, "data", "bookmarks.gmi")),
      `=> ${url}long.gmi Long page`,
    );
    await tmux.type("?");
    screen = await tmux.waitFor("gemini browse: keys");
    assertStringIncludes(screen, "follow link N");
    await quit(tmux);
  } finally {
    await tmux.close();
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini browse in tmux: a changed certificate is used only after the prompt", async () => {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix: "browse-e2e-" });
  let capsule: Capsule = await startCapsule();
  const port = capsule.port;
  const url = `gemini://127.0.0.1:${port}/`;
  let tmux = await session(home, [url]);
  try {
    await tmux.waitFor("trusted (first use)");
    await quit(tmux);
    const pinned = await Deno.readTextFile(join(home, "data", "known_hosts"));

    // Same port, new key.
    capsule.close();
    capsule = await startCapsule(port);

    tmux = await session(home, [url]);
    let screen = await tmux.waitFor(
      "[a] abort  [o] trust once (this session)  [s] trust and save",
    );
    assertStringIncludes(screen, `The certificate of 127.0.0.1:${port} has CHANGED`);
    assertStringIncludes(screen, "Trusted key, SHA-256 (first seen");
    assertStringIncludes(screen, "New key, SHA-256 (valid");
    assert(!screen.includes("Welcome to the capsule."), "no page before the answer");

    // Abort: a page explains what happened, the pin stays.
    await tmux.type("a");
    screen = await tmux.waitFor("# Certificate changed");
    assertStringIncludes(screen, "Nothing was sent to the server.");
    assert(/^Certificate changed +\? help · o open · b back · q quit$/m.test(screen), screen);
    assert(!screen.includes("Welcome to the capsule."));
    assertEquals(await Deno.readTextFile(join(home, "data", "known_hosts")), pinned);

    // Trust once: the page shows, the pin stays, and reloading does not ask again in this
    // session.
    await tmux.type("R");
    await tmux.waitFor("[o] trust once");
    await tmux.type("o");
    screen = await tmux.waitFor("Welcome to the capsule.");
    assertStringIncludes(screen, "trusted (this session only)");
    await tmux.type("2");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("You followed link two.");
    assertStringIncludes(screen, "trusted (this session only)");
    assertEquals(await Deno.readTextFile(join(home, "data", "known_hosts")), pinned);
    await quit(tmux);

    // A new session asks again. Trust and save: the new key is pinned; the next visit
    // matches without a prompt.
    tmux = await session(home, [url]);
    await tmux.waitFor("[s] trust and save");
    await tmux.type("s");
    await tmux.waitFor("trusted (new key saved)");
    assert(await Deno.readTextFile(join(home, "data", "known_hosts")) !== pinned);
    await tmux.type("R");
    await tmux.waitFor((s) =>
      s.includes("Welcome to the capsule.") && s.includes("text/gemini │ trusted\n")
    );
    await quit(tmux);
  } finally {
    await tmux.close();
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
});

/** Starts the real `gemini serve` on a free loopback port with `config`; returns its port. */
async function startServe(
  home: string,
  config: string,
): Promise<{ port: number; child: Deno.ChildProcess; stop: () => Promise<void> }> {
  const configFile = join(home, "serve.toml");
  await Deno.writeTextFile(configFile, config);
  const child = new Deno.Command(GEMINI, {
    args: ["serve", "--config", configFile],
    env: { GEMINI_HOME: join(home, "server-home") },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  // Bounded: at most 200 reads of the start-up messages.
  for (let i = 0; i < 200 && port === 0; i++) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
    if (m) port = Number(m[1]);
  }
  // Keep draining standard error so the server never blocks on a full pipe.
  (async () => {
    for (let i = 0; i < 100_000; i++) if ((await reader.read()).done) break;
  })().catch(() => {});
  const stop = async (): Promise<void> => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
  };
  if (port === 0) {
    await stop();
    throw new Error(`gemini serve did not start:\n${text}`);
  }
  return { port, child, stop };
}

Deno.test("gemini browse in tmux reads a capsule served by gemini serve: pages, listing, binary", async () => {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix: "browse-serve-" });
  const root = join(home, "capsule");
  await Deno.mkdir(join(root, "files"), { recursive: true });
  await Deno.writeTextFile(
    join(root, "index.gmi"),
    [
      "# Served capsule",
      "",
      "Served by gemini serve.",
      "=> files Files",
      "=> about.gmi About",
      "=> missing.gmi Nowhere",
      "=> members/ Members",
      "",
    ].join("\n"),
  );
  await Deno.mkdir(join(root, "members"));
  await Deno.writeTextFile(join(root, "members", "index.gmi"), "# Members\n\nWelcome, member.\n");
  await Deno.writeTextFile(join(root, "about.gmi"), "# About\n\nThe about page.\n=> / Home\n");
  await Deno.writeTextFile(join(root, "files", "notes.txt"), "Plain notes.\n");
  const data = new Uint8Array(Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) % 256));
  await Deno.writeFile(join(root, "files", "data.bin"), data);
  const server = await startServe(
    home,
    [
      "port = 0",
      'listen = ["127.0.0.1"]',
      "[limits]",
      "rate = false",
      "[[host]]",
      'name = "localhost"',
      `root = ${JSON.stringify(root)}`,
      "[[host.location]]",
      'path = "/files/"',
      "listing = true",
      "[[host.location]]",
      'path = "/members/*"',
      "require_client_certificate = true",
      "",
    ].join("\n"),
  );
  const url = `gemini://localhost:${server.port}/`;
  const tmux = await session(home, [url]);
  try {
    let screen = await tmux.waitFor("Served by gemini serve.");
    assertStringIncludes(screen, `${url} │ 20 text/gemini │ trusted (first use)`);
    assertStringIncludes(screen, "[1] Files");

    // "files" redirects (31, same host) to "files/", whose listing shows sizes.
    await tmux.type("1");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("# Index of /files/");
    assertStringIncludes(screen, `${url}files/ │ 20 text/gemini`);
    assert(/\[\d+\] data\.bin \(195\.3 KiB\)/.test(screen), screen);
    const dataLink = /\[(\d+)\] data\.bin/.exec(screen)![1];
    const notesLink = /\[(\d+)\] notes\.txt/.exec(screen)![1];

    // A text file is shown as text.
    await tmux.type(notesLink);
    await tmux.keys("Enter");
    screen = await tmux.waitFor("Plain notes.");
    assertStringIncludes(screen, "files/notes.txt │ 20 text/plain");
    await tmux.type("b");
    await tmux.waitFor("# Index of /files/");

    // A binary file is saved, byte for byte, never shown.
    await tmux.type(dataLink);
    await tmux.keys("Enter");
    await tmux.waitFor("data.bin is application/octet-stream, not text: [s] save");
    await tmux.type("s");
    const saved = join(home, "data", "downloads", "data.bin");
    await tmux.waitFor(`Saved 195.3 KiB to ${saved}`);
    assertEquals(await Deno.readFile(saved), data);

    // Up to the root, then a link to nowhere: the error page explains, b returns.
    await tmux.type("r");
    await tmux.waitFor("Served by gemini serve.");
    await tmux.type("3");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("# 51 Not found");
    assertStringIncludes(screen, "The server has no page at this address.");
    assertStringIncludes(screen, `${url}missing.gmi │ 51 Not found`);
    await tmux.type("b");
    await tmux.waitFor("Served by gemini serve.");
    await tmux.type("2");
    await tmux.keys("Enter");
    await tmux.waitFor("The about page.");

    // 60: a transient identity, then the page; it stays in use without asking again.
    await tmux.type("r");
    await tmux.waitFor("Served by gemini serve.");
    await tmux.type("4");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("Identity: [n] new  [t] transient  [c] cancel");
    assertStringIncludes(screen, `localhost:${server.port} asks for a client certificate`);
    await tmux.type("t");
    screen = await tmux.waitFor("Welcome, member.");
    assert(/│ id: transient-[0-9a-f]{8}/.test(screen), screen);
    await tmux.type("b");
    await tmux.waitFor("Served by gemini serve.");
    await tmux.type("4");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("Welcome, member.");
    assert(!screen.includes("Identity:"), "no second identity prompt");
    await quit(tmux);
  } finally {
    await tmux.close();
    await server.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini browse with TERM=dumb in a terminal uses the line mode", async () => {
  await requireTmux();
  const home = await Deno.makeTempDir({ prefix: "browse-dumb-" });
  const capsule = await startCapsule();
  const url = `gemini://127.0.0.1:${capsule.port}/`;
  const tmux = new Tmux();
  try {
    // tmux sets TERM for the pane itself, so the command sets it.
    await tmux.start(["env", "TERM=dumb", GEMINI, "browse", url], {
      env: { GEMINI_HOME: home, NO_COLOR: "1" },
      width: 100,
      height: 30,
      cwd: ROOT,
    });
    let screen = await tmux.waitFor(`-- ${url} │ 20 text/gemini │ trusted (first use)`);
    assertStringIncludes(screen, "[2] Second page");
    assert(/^>\s*$/m.test(screen), "the command prompt");
    await tmux.type("2");
    await tmux.keys("Enter");
    screen = await tmux.waitFor("You followed link two.");
    // Line mode scrolls like a shell: the first page is still above the second.
    assert(screen.indexOf("[2] Second page") < screen.indexOf("You followed link two."));
    await tmux.type("q");
    await tmux.keys("Enter");
    await tmux.waitForExit();
  } finally {
    await tmux.close();
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gemini browse --line prints the page and reads commands", async () => {
  const home = await Deno.makeTempDir({ prefix: "browse-line-" });
  const capsule = await startCapsule();
  const url = `gemini://127.0.0.1:${capsule.port}/`;
  try {
    const child = new Deno.Command(GEMINI, {
      args: ["browse", "--line", url],
      env: { GEMINI_HOME: home, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("2\nb\n3\nAnn\nq\n"));
    await writer.close();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertStringIncludes(text, "[2] Second page");
    assertStringIncludes(text, "You followed link two.");
    assertStringIncludes(text, "What is your name? ");
    assertStringIncludes(text, "# Hello Ann");
  } finally {
    capsule.close();
    await Deno.remove(home, { recursive: true });
  }
});
