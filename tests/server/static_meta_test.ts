/**
 * `.meta` files in the static file server: media types, parameters and statuses for the
 * files of their directory (existing or not), never served themselves, reloaded when they
 * change (looked at once a second at most, by an injected clock here), unusable lines
 * logged once per load, listings without the files a status answers for; and, through a
 * configured site over real TLS, the order of the extension table, `mime`, `lang`,
 * `charset`, `.meta` and `[[host.override]]`.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { join } from "node:path";
import { fileServer, type FileServerOptions } from "../../lib/server/static.ts";
import { parseConfig } from "../../lib/server/config/mod.ts";
import { buildSite, serveOptions } from "../../lib/server/site.ts";
import { serve } from "../../lib/server/server.ts";
import type { GeminiReply } from "../../lib/server/types.ts";
import { handlerRequest } from "./_request.ts";
import { fetchUrl, memoryLogger } from "./_harness.ts";

async function tree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "gemini-meta-" });
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  return root;
}

function get(handler: ReturnType<typeof fileServer>, path: string): Promise<GeminiReply> {
  return Promise.resolve(handler(handlerRequest(`gemini://localhost${path}`)));
}

async function header(handler: ReturnType<typeof fileServer>, path: string): Promise<string> {
  const reply = await get(handler, path);
  if (reply.body && typeof reply.body === "object" && "cancel" in reply.body) {
    await (reply.body as ReadableStream).cancel();
  }
  return `${reply.status} ${reply.meta}`;
}

Deno.test("fileServer(): .meta types, parameters and statuses apply to the files of its directory only", async () => {
  const root = await tree({
    "index.gmi": "# Home\n",
    "notes.txt": "n\n",
    "a/.meta": [
      "# per-directory metadata",
      "index.gmi: text/gemini; lang=de",
      "*.txt: ;charset=iso-8859-1",
      "readme: text/plain",
      "old.gmi: 31 /new.gmi",
      "gone*: 52 Gone for good",
      "members.gmi: 60 Log in first",
      "sub: 52 directories are not files",
      "",
    ].join("\n"),
    "a/index.gmi": "# A\n",
    "a/notes.txt": "n\n",
    "a/readme": "r\n",
    "a/old.gmi": "still here\n",
    "a/members.gmi": "secret\n",
    "a/sub/notes.txt": "n\n",
    "a/sub/index.gmi": "# Sub\n",
  });
  try {
    const files = fileServer({ root });
    const table: [string, string][] = [
      ["/notes.txt", "20 text/plain"], // no .meta in the root
      ["/a/", "20 text/gemini; lang=de"], // the index file's line
      ["/a/index.gmi", "20 text/gemini; lang=de"],
      ["/a/notes.txt", "20 text/plain; charset=iso-8859-1"],
      ["/a/readme", "20 text/plain"], // instead of application/octet-stream
      ["/a/old.gmi", "31 /new.gmi"], // the file exists: the status wins
      ["/a/gone.gmi", "52 Gone for good"], // the file does not exist: the status all the same
      ["/a/gone-too/", "52 Gone for good"],
      ["/a/members.gmi", "60 Log in first"],
      ["/a/.meta", "51 Not found"], // never served
      ["/a/sub", "31 /a/sub/"], // an existing directory is not a file of a/
      ["/a/sub/notes.txt", "20 text/plain"], // a/.meta says nothing about a/sub/
      ["/a/sub/", "20 text/gemini"],
      ["/a/missing.gmi", "51 Not found"],
    ];
    const got: [string, string][] = [];
    for (const [path] of table) got.push([path, await header(files, path)]);
    assertEquals(got, table);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileServer(): a changed .meta is read again once its check interval has passed, and its bad lines are logged once per load", async () => {
  const root = await tree({
    "page.gmi": "# P\n",
    ".meta": "page.gmi: ;lang=en\nbroken line\n",
  });
  try {
    let now = 1_000_000;
    const logger = memoryLogger();
    const files = fileServer({ root, logger, clock: () => now });
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini; lang=en");
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini; lang=en");
    assertEquals(logger.lines, [
      `warn .meta line ignored {"file":"${
        join(await Deno.realPath(root), ".meta")
      }","line":2,"reason":"no colon between a file name and a value"}`,
    ]);
    await Deno.writeTextFile(join(root, ".meta"), "page.gmi: ;lang=fr\nstill broken\n");
    now += 999;
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini; lang=en", "within 1 s");
    now += 1;
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini; lang=fr", "after 1 s");
    now += 5_000;
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini; lang=fr", "unchanged");
    assertEquals(logger.lines.length, 2, "the second load logged its one bad line once");
    assert(logger.lines[1].includes('"line":2'));
    await Deno.remove(join(root, ".meta"));
    now += 1_000;
    assertEquals(await header(files, "/page.gmi"), "20 text/gemini", "removed: no rules");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileServer(): a .meta that is a symlink, a directory or over 64 KiB is ignored with a warning; metaFiles: false ignores them all", async () => {
  const outside = await tree({ ".meta": "*: 52\n" });
  const root = await tree({
    "l/page.gmi": "# P\n",
    "d/page.gmi": "# P\n",
    "d/.meta/x": "",
    "big/page.gmi": "# P\n",
    "big/.meta": "page.gmi: 52\n" + "#".repeat(65_536),
    "ok/page.gmi": "# P\n",
    "ok/.meta": "page.gmi: 52\n",
  });
  try {
    await Deno.symlink(join(outside, ".meta"), join(root, "l", ".meta"));
    const logger = memoryLogger();
    const files = fileServer({ root, logger });
    for (const dir of ["l", "d", "big"]) {
      assertEquals(await header(files, `/${dir}/page.gmi`), "20 text/gemini", dir);
    }
    assertEquals(await header(files, "/ok/page.gmi"), "52 ");
    assertEquals(logger.lines.map((l) => l.split(" {")[0]), [
      "warn .meta is not a regular file; ignored",
      "warn .meta is not a regular file; ignored",
      "warn .meta file too large; ignored",
    ]);
    const off = fileServer({ root, metaFiles: false });
    assertEquals(await header(off, "/ok/page.gmi"), "20 text/gemini");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("fileServer(): a listing leaves out the files a .meta status answers for and keeps the others", async () => {
  const root = await tree({
    "d/.meta": "old.gmi: 31 new.gmi\nsecret*: 51\n*.txt: ;charset=iso-8859-1\nsub: 52\n",
    "d/new.gmi": "# New\n",
    "d/old.gmi": "# Old\n",
    "d/secret.gmi": "# S\n",
    "d/notes.txt": "n\n",
    "d/sub/x.gmi": "x\n",
  });
  try {
    const files = fileServer({ root, listing: true });
    const reply = await get(files, "/d/");
    assertEquals(reply.status, 20);
    assertEquals(
      reply.body,
      "# Index of /d/\n\n=> ../ ..\n=> sub/ sub/\n=> new.gmi New (new.gmi, 6 B)\n" +
        "=> notes.txt notes.txt (2 B)\n",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileServer(): location lang and charset apply unless the .meta line names its own", async () => {
  const root = await tree({
    ".meta": [
      "a.gmi: text/gemini",
      "b.gmi: text/gemini; lang=de",
      "c.txt: text/markdown",
      "d.txt: text/markdown; charset=us-ascii",
      "e.gmi: ;lang=fr",
      "f.txt: ;charset=latin1",
      "g.bin: application/x-thing",
      "h.log: ;lang=en",
    ].join("\n"),
    "a.gmi": "",
    "b.gmi": "",
    "c.txt": "",
    "d.txt": "",
    "e.gmi": "",
    "f.txt": "",
    "g.bin": "",
    "h.log": "",
  });
  try {
    const options: FileServerOptions = {
      root,
      lang: "en",
      charset: "utf-8",
      mediaTypes: { log: "text/plain" },
    };
    const files = fileServer(options);
    const table: [string, string][] = [
      ["/a.gmi", "20 text/gemini; charset=utf-8; lang=en"],
      ["/b.gmi", "20 text/gemini; lang=de; charset=utf-8"],
      ["/c.txt", "20 text/markdown; charset=utf-8"],
      ["/d.txt", "20 text/markdown; charset=us-ascii"],
      ["/e.gmi", "20 text/gemini; charset=utf-8; lang=fr"],
      ["/f.txt", "20 text/plain; charset=latin1"],
      ["/g.bin", "20 application/x-thing"],
      ["/h.log", "20 text/plain; charset=utf-8; lang=en"],
    ];
    const got: [string, string][] = [];
    for (const [path] of table) got.push([path, await header(files, path)]);
    assertEquals(got, table);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gemini serve site over TLS: extension table and mime give the default, .meta wins over them, location lang/charset unless .meta sets its own, [[host.override]] last", async () => {
  const root = await tree({
    "docs/.meta": [
      "plain.gmi: text/plain",
      "german.gmi: ;lang=de",
      "own.gmi: text/gemini; lang=fr; charset=us-ascii",
      "moved.gmi: 31 /docs/new.gmi",
      "patch.diff: text/x-patch",
    ].join("\n"),
    "docs/plain.gmi": "p\n",
    "docs/german.gmi": "g\n",
    "docs/own.gmi": "o\n",
    "docs/new.gmi": "n\n",
    "docs/page.gmi": "d\n",
    "docs/notes.log": "l\n",
    "docs/patch.diff": "d\n",
  });
  const config = parseConfig(
    [
      "[[host]]",
      'name = "localhost"',
      `root = "${root}"`,
      'lang = "en"',
      "[[host.override]]",
      'match = "\\\\.diff$"',
      'charset = "utf-8"',
      "[[host.location]]",
      'path = "/docs/"',
      'lang = "nl"',
      'charset = "iso-8859-1"',
      'mime = { log = "text/x-log" }',
      "",
    ].join("\n"),
  );
  const site = await buildSite(config, { certificateDir: `${root}-certs` });
  const server = await serve({
    ...serveOptions(config, site),
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    publicPort: 1965,
  });
  try {
    const port = server.addrs[0].port;
    const table: [string, string][] = [
      // no .meta line: extension table / location mime, then the location's lang and charset
      ["/docs/page.gmi", "20 text/gemini; charset=iso-8859-1; lang=nl"],
      ["/docs/notes.log", "20 text/x-log; charset=iso-8859-1"],
      // a type line replaces the extension's type; the location's charset is added
      ["/docs/plain.gmi", "20 text/plain; charset=iso-8859-1"],
      // a parameters line replaces the location's lang
      ["/docs/german.gmi", "20 text/gemini; charset=iso-8859-1; lang=de"],
      // a type line with its own lang and charset keeps both
      ["/docs/own.gmi", "20 text/gemini; lang=fr; charset=us-ascii"],
      ["/docs/moved.gmi", "31 /docs/new.gmi"],
      // [[host.override]] rewrites what the file server (and its .meta) chose
      ["/docs/patch.diff", "20 text/x-patch; charset=utf-8"],
      ["/docs/.meta", "51 Not found"],
    ];
    const got: [string, string][] = [];
    for (const [path] of table) {
      const reply = await fetchUrl(port, `gemini://localhost${path}`, { servername: "localhost" });
      got.push([path, reply.header]);
    }
    assertEquals(got, table);
  } finally {
    await server.shutdown(2000);
    await Deno.remove(root, { recursive: true });
    await Deno.remove(`${root}-certs`, { recursive: true }).catch(() => {});
  }
});
