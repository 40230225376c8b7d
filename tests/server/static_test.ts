import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { join } from "node:path";
import { fileServer, type FileServerOptions, mediaTypeFor } from "../../lib/server/static.ts";
import { fetchUrl, PIPELINE_TEST, startServer } from "./_harness.ts";

const SECRET = "TOP-SECRET-7f3a";

/** base/root is served; base/secret.txt and base/outside/ are outside it. */
async function makeTree(): Promise<{ base: string; root: string }> {
  const base = await Deno.makeTempDir({ prefix: "gemini-static-" });
  const root = join(base, "root");
  await Deno.mkdir(join(root, "docs", "sub"), { recursive: true });
  await Deno.mkdir(join(root, "empty"));
  await Deno.mkdir(join(base, "outside"));
  await Deno.writeTextFile(join(base, "secret.txt"), SECRET);
  await Deno.writeTextFile(join(base, "outside", "secret.txt"), SECRET);
  await Deno.writeTextFile(join(root, ".secret"), SECRET);
  await Deno.writeTextFile(join(root, "docs", ".hidden"), SECRET);
  await Deno.writeTextFile(join(root, "index.gmi"), "# Home\n\nWelcome.\n");
  await Deno.writeTextFile(join(root, "café.gmi"), "# Café\n");
  await Deno.writeTextFile(join(root, "notes.txt"), "plain\n");
  await Deno.writeTextFile(join(root, "README"), "no extension\n");
  await Deno.writeFile(join(root, "pixel.png"), new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  await Deno.writeTextFile(join(root, "docs", "b.gmi"), "Intro line\n## Second title\n");
  await Deno.writeTextFile(join(root, "docs", "a.gmi"), "no heading here\n");
  await Deno.writeFile(join(root, "docs", "data.bin"), new Uint8Array(1536));
  await Deno.writeTextFile(join(root, "docs", "sub", "index.gmi"), "# Sub\n");
  await Deno.symlink(join(base, "secret.txt"), join(root, "link.txt"));
  await Deno.symlink(join(base, "outside"), join(root, "linkdir"));
  await Deno.symlink(join(root, "notes.txt"), join(root, "inside-link.txt"));
  const big = new Uint8Array(200 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  await Deno.writeFile(join(root, "big.bin"), big);
  return { base, root };
}

async function withStatic(
  options: Partial<FileServerOptions>,
  fn: (port: number, root: string) => Promise<void>,
): Promise<void> {
  const { base, root } = await makeTree();
  const s = await startServer(fileServer({ root, ...options }), PIPELINE_TEST);
  try {
    await fn(s.port, root);
  } finally {
    await s.close();
    await Deno.remove(base, { recursive: true });
  }
}

/** Paths (after `gemini://localhost`) that try to reach a file outside the root. */
const TRAVERSALS = [
  "/../secret.txt",
  "/%2e%2e/secret.txt",
  "/%2E%2E/secret.txt",
  "/.%2e/secret.txt",
  "/%2e./secret.txt",
  "/%252e%252e/secret.txt",
  "/%252e%252e%252fsecret.txt",
  "/%252E%252E%252Fsecret.txt",
  "/..%2fsecret.txt",
  "/..%2Fsecret.txt",
  "/%2e%2e%2fsecret.txt",
  "/%2e%2e%2f%2e%2e%2fsecret.txt",
  "/..\\secret.txt",
  "/..%5csecret.txt",
  "/..%5Csecret.txt",
  "/%2e%2e%5csecret.txt",
  "/docs/../../secret.txt",
  "/docs/%2e%2e/%2e%2e/secret.txt",
  "/docs/..%2f..%2fsecret.txt",
  "/./../secret.txt",
  "//../secret.txt",
  "/docs//..//..//secret.txt",
  "/%2F..%2F..%2Fsecret.txt",
  "/%2fsecret.txt",
  "/..%00/secret.txt",
  "/%00/../secret.txt",
  "/secret.txt%00",
  "/..%c0%afsecret.txt",
  "/%c0%ae%c0%ae/secret.txt",
  "/%e0%80%ae%e0%80%ae/secret.txt",
  "/%uff0e%uff0e/secret.txt",
  "/%ef%bc%8e%ef%bc%8e/secret.txt",
  "/....//secret.txt",
  "/..;/secret.txt",
  "/..%252fsecret.txt",
  "/..././secret.txt",
  "/link.txt",
  "/linkdir/secret.txt",
  "/linkdir/",
  "/.secret",
  "/%2esecret",
  "/%2Esecret",
  "/docs/.hidden",
  "/docs/%2ehidden",
  "/docs/sub/../.hidden",
];

Deno.test("fileServer() serves nothing outside the root for any of 45 traversal spellings", async () => {
  assert(TRAVERSALS.length >= 30);
  await withStatic({ listing: true }, async (port) => {
    for (const path of TRAVERSALS) {
      const r = await fetchUrl(port, `gemini://localhost${path}`);
      assert(!r.text.includes(SECRET), `${path} leaked the secret (${r.header})`);
      assert(r.status !== 20 && r.status !== 30 && r.status !== 31, `${path}: ${r.header}`);
    }
  });
});

Deno.test("fileServer() follows symlinks out of the root only when allowed", async () => {
  await withStatic({ followSymlinks: true }, async (port) => {
    const r = await fetchUrl(port, "gemini://localhost/link.txt");
    assertEquals([r.status, r.text], [20, SECRET]);
  });
  await withStatic({}, async (port) => {
    const inside = await fetchUrl(port, "gemini://localhost/inside-link.txt");
    assertEquals([inside.status, inside.text], [20, "plain\n"]);
  });
});

Deno.test("fileServer() picks media types by extension with charset and lang", async () => {
  await withStatic({ lang: "en", charset: "utf-8" }, async (port) => {
    const expect: [string, string][] = [
      ["/", "20 text/gemini; charset=utf-8; lang=en"],
      ["/index.gmi", "20 text/gemini; charset=utf-8; lang=en"],
      ["/notes.txt", "20 text/plain; charset=utf-8"],
      ["/pixel.png", "20 image/png"],
      ["/README", "20 application/octet-stream"],
    ];
    for (const [path, header] of expect) {
      assertEquals((await fetchUrl(port, `gemini://localhost${path}`)).header, header, path);
    }
  });
  await withStatic(
    { mediaTypes: { txt: "text/markdown" }, defaultMediaType: "text/plain" },
    async (port) => {
      assertEquals(
        (await fetchUrl(port, "gemini://localhost/notes.txt")).header,
        "20 text/markdown",
      );
      assertEquals((await fetchUrl(port, "gemini://localhost/README")).header, "20 text/plain");
      assertEquals((await fetchUrl(port, "gemini://localhost/")).header, "20 text/gemini");
    },
  );
  assertEquals(mediaTypeFor("x.gemini"), "text/gemini");
  assertEquals(mediaTypeFor("X.GMI"), "text/gemini");
});

Deno.test("fileServer() serves UTF-8 names percent-encoded or raw, and redirects directories", async () => {
  await withStatic({}, async (port) => {
    const encoded = await fetchUrl(port, "gemini://localhost/caf%C3%A9.gmi");
    const raw = await fetchUrl(port, "gemini://localhost/café.gmi");
    assertEquals([encoded.status, encoded.text], [20, "# Café\n"]);
    assertEquals(raw.text, encoded.text);
    assertEquals((await fetchUrl(port, "gemini://localhost/docs")).header, "31 /docs/");
    assertEquals((await fetchUrl(port, "gemini://localhost/docs/sub/")).text, "# Sub\n");
    assertEquals((await fetchUrl(port, "gemini://localhost/nope.gmi")).status, 51);
    assertEquals((await fetchUrl(port, "gemini://localhost/notes.txt/")).status, 51);
    // No listing unless enabled.
    assertEquals((await fetchUrl(port, "gemini://localhost/docs/")).status, 51);
  });
});

Deno.test("fileServer() lists directories: directories first, sizes, titles, no dotfiles", async () => {
  await withStatic({ listing: true }, async (port) => {
    const r = await fetchUrl(port, "gemini://localhost/docs/");
    assertEquals(r.header, "20 text/gemini");
    assertEquals(
      r.text,
      [
        "# Index of /docs/",
        "",
        "=> ../ ..",
        "=> sub/ sub/",
        "=> a.gmi a.gmi (16 B)",
        "=> b.gmi Second title (b.gmi, 27 B)",
        "=> data.bin data.bin (1.5 KiB)",
        "",
      ].join("\n"),
    );
    const empty = await fetchUrl(port, "gemini://localhost/empty/");
    assertEquals(empty.text, "# Index of /empty/\n\n=> ../ ..\n");
  });
});

Deno.test("fileServer() streams large files intact and refuses files over the cap with their size", async () => {
  await withStatic({ maxFileSize: 100 * 1024 }, async (port, root) => {
    const r = await fetchUrl(port, "gemini://localhost/big.bin");
    assertEquals(r.status, 50);
    assertStringIncludes(r.meta, "204807 bytes");
    assertStringIncludes(r.meta, "102400 bytes");
    assertStringIncludes(r.meta, "100.0 KiB");
    const small = await fetchUrl(port, "gemini://localhost/index.gmi");
    assertEquals(small.status, 20);
    void root;
  });
  await withStatic({}, async (port, root) => {
    const r = await fetchUrl(port, "gemini://localhost/big.bin");
    assertEquals(r.status, 20);
    assertEquals(r.body, await Deno.readFile(join(root, "big.bin")));
    assertEquals(r.closeNotify, true);
  });
});

Deno.test("fileServer() answers 51 for lookups that mean no such file: a 256-byte name (ENAMETOOLONG), a file used as a directory, a symlink loop", async () => {
  await withStatic({}, async (port, root) => {
    // 255 bytes is the longest name the file system takes: served when it exists, 51 when
    // not; 256 bytes cannot exist at all (ENAMETOOLONG, formerly 40).
    const longest = "n".repeat(251) + ".gmi";
    assertEquals(new TextEncoder().encode(longest).length, 255);
    await Deno.writeTextFile(join(root, longest), "# Longest\n");
    const served = await fetchUrl(port, `gemini://localhost/${longest}`);
    assertEquals([served.status, served.text], [20, "# Longest\n"]);
    const absent = "m".repeat(255);
    assertEquals((await fetchUrl(port, `gemini://localhost/${absent}`)).status, 51);
    for (const name of ["n".repeat(252) + ".gmi", "m".repeat(256), "é".repeat(128)]) {
      const res = await fetchUrl(port, `gemini://localhost/${encodeURI(name)}`);
      assertEquals([res.status, res.meta], [51, "Not found"], `${name.length} characters`);
    }
    const deep = await fetchUrl(port, `gemini://localhost/docs/${"m".repeat(256)}/x.gmi`);
    assertEquals(deep.status, 51);
    // ENOTDIR: a file in the middle of the path.
    assertEquals((await fetchUrl(port, "gemini://localhost/notes.txt/x")).status, 51);
    // ELOOP: a symlink that points at itself.
    await Deno.symlink(join(root, "loop"), join(root, "loop"));
    assertEquals((await fetchUrl(port, "gemini://localhost/loop")).status, 51);
    assertEquals((await fetchUrl(port, "gemini://localhost/loop/x")).status, 51);
  });
});

Deno.test("fileServer() listings neutralise newlines and control characters in file names: no gemtext injection", async () => {
  await withStatic({ listing: true }, async (port, root) => {
    const dir = join(root, "odd");
    await Deno.mkdir(dir);
    const names = [
      "a\n=> evil.gmi Click me",
      "b\r\n# Forged heading",
      "c\x1b[31mred.txt",
      "d\u2028e.txt",
    ];
    for (const name of names) await Deno.writeTextFile(join(dir, name), "x");
    await Deno.mkdir(join(dir, "f\ng"));
    // A gemtext title with a control character is neutralised too.
    await Deno.writeTextFile(join(dir, "t.gmi"), "# Title\x07bell\n");
    const res = await fetchUrl(port, "gemini://localhost/odd/");
    assertEquals(res.status, 20);
    const lines = res.text.trimEnd().split("\n");
    assertEquals(lines.slice(0, 3), ["# Index of /odd/", "", "=> ../ .."]);
    // One link line per entry, nothing else: no name added a line of its own.
    const links = lines.slice(3);
    assertEquals(links.length, names.length + 2, res.text);
    assert(links.every((l) => l.startsWith("=> ")), res.text);
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x09\x0b-\x1f\x7f\u2028]/.test(res.text), JSON.stringify(res.text));
    assertEquals(links[0], "=> f%0Ag/ f\uFFFDg/");
    assertEquals(
      links[1],
      "=> a%0A%3D%3E%20evil.gmi%20Click%20me a\uFFFD=> evil.gmi Click me (1 B)",
    );
    assertEquals(links[2], "=> b%0D%0A%23%20Forged%20heading b\uFFFD\uFFFD# Forged heading (1 B)");
    assertEquals(links[3], "=> c%1B%5B31mred.txt c\uFFFD[31mred.txt (1 B)");
    assertEquals(links[4], "=> d%E2%80%A8e.txt d\uFFFDe.txt (1 B)");
    assertEquals(links[5], "=> t.gmi Title\uFFFDbell (t.gmi, 13 B)");
  });
});

Deno.test("fileServer() answers 40 for a real I/O fault while reading a file, not 51", async () => {
  await withStatic({}, async (port, root) => {
    await Deno.writeTextFile(join(root, "faulty.gmi"), "# Unreadable\n");
    const readFileSync = Deno.readFileSync;
    // EIO cannot be provoked on a healthy disk: reading one file fails with it.
    Deno.readFileSync = (path: string | URL) => {
      if (String(path).endsWith("/faulty.gmi")) {
        throw Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
      }
      return readFileSync(path);
    };
    try {
      const res = await fetchUrl(port, "gemini://localhost/faulty.gmi");
      assertEquals(res.status, 40);
      assertEquals((await fetchUrl(port, "gemini://localhost/absent.gmi")).status, 51);
      assertEquals((await fetchUrl(port, "gemini://localhost/notes.txt")).status, 20);
    } finally {
      Deno.readFileSync = readFileSync;
    }
  });
});
