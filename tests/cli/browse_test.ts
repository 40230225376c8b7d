import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { fakeResponse } from "../_helpers/fake_response.ts";
import { downloadsDir, loadBrowseConfig, main } from "../../lib/cli/browse.ts";
import { loadClientConfig } from "../../lib/client/config.ts";
import type { Fetcher } from "../../lib/cli/browse/browser.ts";
import { KEYS, PROMPT_KEYS } from "../../lib/cli/browse/model.ts";
import { memoryIo } from "../../lib/cli/io.ts";
import { UsageError } from "../../lib/cli/args.ts";
import type { GeminiResponse } from "../../lib/client/types.ts";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function page(url: string, body: string): GeminiResponse {
  return fakeResponse(url, 20, "text/gemini", body);
}

const fake = (): Fetcher => (url) =>
  Promise.resolve(page(url, `# Page ${new URL(url).pathname}\n=> /next Next\n`));

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir();
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("gemini browse --help lists the options, every key and every prompt key", async () => {
  const io = memoryIo();
  assertEquals(await main(["--help"], io), 0);
  const text = io.stdout.text();
  for (const part of ["--line", "--width N", "--downloads DIR", "[browse.schemes]"]) {
    assertStringIncludes(text, part);
  }
  for (const k of [...KEYS, ...PROMPT_KEYS]) {
    assert(new RegExp(`^  ${escape(k.keys)} +${escape(k.action)}$`, "m").test(text), k.keys);
  }
});

Deno.test("gemini browse rejects a bad --width and extra arguments", async () => {
  for (const args of [["--width", "5"], ["--width", "x"], ["a", "b"], ["--frobnicate"]]) {
    let error: unknown;
    try {
      await main(args, memoryIo({ env: { GEMINI_HOME: "/nonexistent" } }));
    } catch (e) {
      error = e;
    }
    assert(error instanceof UsageError, args.join(" "));
  }
});

Deno.test("gemini browse without a terminal runs the line mode, keeps history and the session", async () => {
  await withHome(async (home) => {
    const env = { GEMINI_HOME: home };
    const io = memoryIo({ env, stdin: "1\nbookmark\nq\n" });
    assertEquals(await main(["gemini://h.example/"], io, { makeFetcher: fake }), 0);
    const out = io.stdout.text();
    assertStringIncludes(out, "# Page /\n[1] Next\n");
    assertStringIncludes(out, "# Page /next\n");
    assertStringIncludes(out, "Bookmarked: Page /next");
    // No URL: the last session's page opens; the bookmark is still there.
    const again = memoryIo({ env, stdin: "bookmarks\nq\n" });
    assertEquals(await main([], again, { makeFetcher: fake }), 0);
    const text = again.stdout.text();
    assertStringIncludes(text, "-- gemini://h.example/next");
    assertStringIncludes(text, "[1] Page /next");
  });
});

Deno.test("gemini browse --width caps the page width", async () => {
  await withHome(async (home) => {
    const long = (): Fetcher => (url) => Promise.resolve(page(url, "word ".repeat(30) + "\n"));
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "q\n", columns: 200 });
    await main(["--width", "20", "gemini://h.example/"], io, { makeFetcher: long });
    const rows = io.stdout.text().split("\n").filter((l) => l.startsWith("word"));
    assert(rows.length > 1 && rows.every((r) => r.length <= 20), rows.join("|"));
  });
});

Deno.test("the [browse] table of config.toml sets the browser; browse.toml is still read", async () => {
  await withHome(async (home) => {
    const paths = { configDir: home, dataDir: home, configFile: `${home}/config.toml` };
    assertEquals(await loadBrowseConfig(paths), { handlers: {}, schemes: {} });
    // The older browse.toml (flat keys) is read when config.toml has no [browse] table.
    await Deno.writeTextFile(`${home}/browse.toml`, "max_width = 60\n[handlers]\n'*' = 'x'\n");
    assertEquals(await loadBrowseConfig(paths), {
      maxWidth: 60,
      handlers: { "*": "x" },
      schemes: {},
    });
    await Deno.writeTextFile(
      paths.configFile,
      '[client]\nretries = 1\n\n[browse]\nmax_width = 72\ndownloads = "~/dl"\n\n' +
        '[browse.handlers]\n"Image/*" = "feh"\n\n' +
        '[browse.schemes]\nMailto = "thunderbird  -compose"\nhttps = ["firefox", "--new-tab"]\n',
    );
    assertEquals(await loadBrowseConfig(paths), {
      maxWidth: 72,
      downloads: "~/dl",
      handlers: { "image/*": "feh" },
      schemes: { mailto: ["thunderbird", "-compose"], https: ["firefox", "--new-tab"] },
    });
    // The client loader accepts the table and ignores it.
    assertEquals(await loadClientConfig(paths), { retries: 1 });
  });
});

Deno.test("a bad [browse] value is an error naming the file, line and key", async () => {
  const cases: [string, string][] = [
    ["[browse]\nmax_width = 5\n", "config.toml:2: browse.max_width: expected a whole number"],
    ["[browse]\ncolour = true\n", "config.toml:2: browse.colour: unknown key"],
    ["[browse]\ndownloads = 3\n", "config.toml:2: browse.downloads: expected a folder name"],
    [
      '[browse.handlers]\n"image" = "feh"\n',
      "config.toml:2: browse.handlers.image: a key must be a media type",
    ],
    ['[browse.handlers]\n"text/*" = 1\n', "config.toml:2: browse.handlers.text/*: expected"],
    ["[browse]\nschemes = 1\n", "config.toml:2: browse.schemes: expected a table"],
    ['[browse.schemes]\nmailto = ""\n', "config.toml:2: browse.schemes.mailto: expected a program"],
    ['[browse.schemes]\nmailto = ["a", 2]\n', "browse.schemes.mailto: expected a program"],
    ["[browse.schemes]\nmailto = []\n", "browse.schemes.mailto: expected a program"],
    ['[browse.schemes]\n"no scheme" = "x"\n', "a key must be a URL scheme"],
    ['[browse.schemes]\ngemini = "x"\n', "browse.schemes.gemini: the browser opens this scheme"],
  ];
  for (const [text, message] of cases) {
    await withHome(async (home) => {
      const paths = { configDir: home, dataDir: home, configFile: `${home}/config.toml` };
      await Deno.writeTextFile(paths.configFile, text);
      const error = await loadBrowseConfig(paths).then(() => undefined, (e) => e);
      assert(error instanceof SyntaxError, `no error for ${JSON.stringify(text)}`);
      assertStringIncludes(error.message, message);
    });
  }
  // Through the command: the message reaches standard error and the exit code is 1.
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/config`);
    await Deno.writeTextFile(`${home}/config/config.toml`, "[browse]\nmax_width = 5\n");
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "q\n" });
    const error = await main(["gemini://h.example/"], io, { makeFetcher: fake }).then(
      () => undefined,
      (e) => e,
    );
    assert(error instanceof SyntaxError);
    assertStringIncludes(error.message, "config.toml:2: browse.max_width");
  });
});

Deno.test("the downloads folder: option or config, else GEMINI_HOME, XDG, data dir", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assertEquals(downloadsDir(env({ HOME: "/h" }), "/d", "~/dl"), "/h/dl");
  assertEquals(
    downloadsDir(env({ GEMINI_HOME: "/g" }), "/g/data", undefined),
    "/g/data/downloads",
  );
  assertEquals(downloadsDir(env({ XDG_DOWNLOAD_DIR: "/x" }), "/d", undefined), "/x");
  assertEquals(downloadsDir(env({}), "/d", undefined), "/d/downloads");
});

Deno.test("gemini browse line mode: a redirect target from a server reaches the terminal without escape sequences", async () => {
  await withHome(async (home) => {
    const hostile: Fetcher = (url) => {
      const path = new URL(url).pathname;
      if (path === "/ask") {
        return Promise.resolve(fakeResponse(url, 10, "Name?\x1b]52;c;cHduZWQ=\x07\x1b[2J", ""));
      }
      if (path === "/away") {
        return Promise.resolve(fakeResponse(url, 31, "/x\x1b[31m\x9b2J", ""));
      }
      return Promise.resolve(page(url, "# Home\n=> /ask Ask\n=> /away Away\n"));
    };
    const io = memoryIo({ env: { GEMINI_HOME: home }, stdin: "1\n\n2\nq\n" });
    assertEquals(await main(["gemini://h.example/"], io, { makeFetcher: () => hostile }), 0);
    const out = io.stdout.text();
    assertStringIncludes(out, "Redirect to /x");
    assert(![..."\x1b\x07\x9b"].some((c) => out.includes(c)), JSON.stringify(out));
  });
});
