import { type ServeIo, whileServing } from "./_serve.ts";
import { assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { join } from "node:path";
import { memoryIo } from "../../lib/cli/io.ts";
import { runServe } from "../../lib/cli/serve.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { titanUpload } from "../../lib/client/titan.ts";
import { fetchUrl, HANDLER_TEST, startServer } from "../server/_harness.ts";

async function script(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/** Runs `gemini serve --config FILE` in-process until `body` is done. */
async function withConfig(
  dir: string,
  config: string,
  body: (port: number, io: ServeIo) => Promise<void>,
): Promise<void> {
  await Deno.writeTextFile(join(dir, "serve.toml"), config);
  const io = memoryIo({ env: { GEMINI_HOME: join(dir, "home") } });
  await whileServing(
    ["--config", join(dir, "serve.toml"), "--listen", "127.0.0.1:0"],
    io,
    body,
  );
}

Deno.test("gemini serve --config: CGI, access control, Titan, rules, overrides and proxy locations", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-dynamic-" });
  const member = await generateCertificate("member");
  const stranger = await generateCertificate("stranger");
  const upstream = await startServer((req) => ({
    status: 20,
    meta: "text/plain",
    body: `upstream ${req.path}`,
  }), HANDLER_TEST);
  try {
    await Deno.mkdir(join(dir, "site"));
    await Deno.mkdir(join(dir, "cgi-bin"));
    await Deno.mkdir(join(dir, "wiki"));
    await Deno.writeTextFile(join(dir, "site", "notes.txt"), "notes\n");
    await Deno.writeTextFile(join(dir, "site", "index.gmi"), "# home\n");
    await Deno.mkdir(join(dir, "site", "private"));
    await Deno.writeTextFile(join(dir, "site", "private", "index.gmi"), "# members\n");
    await script(
      join(dir, "cgi-bin", "env.sh"),
      "#!/bin/sh\nprintf '20 text/plain\\r\\n'\necho \"GREETING=$GREETING\"\n" +
        'echo "SCRIPT_NAME=$SCRIPT_NAME"\necho "PATH_INFO=$PATH_INFO"\n' +
        'echo "TLS_CLIENT_HASH=$TLS_CLIENT_HASH"\n',
    );
    await Deno.writeTextFile(
      join(dir, "members.txt"),
      `# members\n${member.info.spkiSha256} member\n`,
    );
    const config = `
[[host]]
name = "localhost"
root = "site"

[[host.rule]]
match = "^/old/(.*)$"
redirect = "/new/$1"
permanent = true

[[host.rule]]
match = "^/removed/"
gone = "Taken down"

[[host.override]]
match = "\\\\.txt$"
lang = "en"
charset = "utf-8"

[[host.location]]
path = "/cgi-bin/"
cgi = "cgi-bin"
cgi_timeout = 5
cgi_env = { GREETING = "hello" }

[[host.location]]
path = "/private/"
require_client_certificate = true
certificate_prompt = "Members only"
allow_file = "members.txt"

[[host.location]]
path = "/wiki/"
root = "site"
titan = true
titan_tokens = ["s3cret"]
titan_mime = ["text/*"]
titan_max_size = "1 KiB"
titan_delete = true

[[host.location]]
path = "/app/"
proxy = "127.0.0.1:${upstream.port}"
proxy_sni = "localhost"
proxy_rewrite_url = true
proxy_timeout = 5

[[host.location.rule]]
match = "^/app/old$"
redirect = "/app/new"
`;
    await withConfig(dir, config, async (port) => {
      const base = `gemini://localhost:${port}`;
      assertEquals((await fetchUrl(port, `${base}/`)).text, "# home\n");
      const old = await fetchUrl(port, `${base}/old/a/b.gmi`);
      assertEquals([old.status, old.meta], [31, "/new/a/b.gmi"]);
      const removed = await fetchUrl(port, `${base}/removed/x`);
      assertEquals([removed.status, removed.meta], [52, "Taken down"]);
      const notes = await fetchUrl(port, `${base}/notes.txt`);
      assertEquals(notes.meta, "text/plain; charset=utf-8; lang=en");

      const cgi = await fetchUrl(port, `${base}/cgi-bin/env.sh/extra`, { identity: member });
      assertStringIncludes(cgi.text, "GREETING=hello");
      assertStringIncludes(cgi.text, "SCRIPT_NAME=/cgi-bin/env.sh");
      assertStringIncludes(cgi.text, "PATH_INFO=/extra");
      assertStringIncludes(
        cgi.text,
        `TLS_CLIENT_HASH=SHA256:${member.info.certSha256.toUpperCase()}`,
      );

      const anonymous = await fetchUrl(port, `${base}/private/`);
      assertEquals([anonymous.status, anonymous.meta], [60, "Members only"]);
      assertEquals((await fetchUrl(port, `${base}/private/`, { identity: stranger })).status, 61);
      const ok = await fetchUrl(port, `${base}/private/`, { identity: member });
      assertEquals([ok.status, ok.text], [20, "# members\n"]);

      const up = await titanUpload(
        `titan://localhost:${port}/wiki/page.gmi`,
        new TextEncoder().encode("# wiki\n"),
        {
          token: "s3cret",
        },
      );
      assertEquals([up.status, up.meta], [30, `gemini://localhost:${port}/wiki/page.gmi`]);
      assertEquals((await fetchUrl(port, up.meta)).text, "# wiki\n");
      const big = await titanUpload(
        `titan://localhost:${port}/wiki/big.gmi`,
        new Uint8Array(2000),
        {
          token: "s3cret",
        },
      );
      assertEquals(big.status, 59);
      const del = await titanUpload(`titan://localhost:${port}/wiki/page.gmi`, new Uint8Array(), {
        token: "s3cret",
      });
      assertEquals([del.status, del.meta], [30, `${base}/wiki/page.gmi`]);
      assertEquals((await fetchUrl(port, `${base}/wiki/page.gmi`)).status, 51);

      const proxied = await fetchUrl(port, `${base}/app/hello`);
      assertEquals([proxied.status, proxied.text], [20, "upstream /app/hello"]);
      const moved = await fetchUrl(port, `${base}/app/old`);
      assertEquals([moved.status, moved.meta], [30, "/app/new"]);
    });
  } finally {
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve --check prints the dynamic keys and rejects bad ones with file:line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-dynamic-" });
  try {
    await Deno.mkdir(join(dir, "cgi"));
    const good = `[[host]]
name = "localhost"

[[host.rule]]
match = "^/a$"
redirect = "/b"

[[host.location]]
path = "/cgi/"
cgi = "cgi"
cgi_env = { A = "1" }

[[host.location]]
path = "/up/"
titan = true
titan_root = "cgi"
titan_anonymous = true
`;
    await Deno.writeTextFile(join(dir, "good.toml"), good);
    const io = memoryIo();
    const code = await runServe(
      ["--config", join(dir, "good.toml"), "--check"],
      io,
      new AbortController().signal,
    );
    assertEquals(code, 0, io.stderr.text());
    const out = io.stdout.text();
    assertStringIncludes(out, `cgi = "${dir}/cgi"`);
    assertStringIncludes(out, "titan_anonymous = true");
    assertStringIncludes(out, "[[host.rule]]");
    const bad: [string, string][] = [
      [
        '[[host]]\nname = "h"\n[[host.rule]]\nmatch = "("\nredirect = "/"\n',
        "bad.toml:4: host[0].rule[0].match: is not a valid regular expression",
      ],
      [
        '[[host]]\nname = "h"\n[[host.location]]\npath = "/x/"\ntitan = true\n',
        "bad.toml:5: host[0].location[0].titan: needs titan_tokens",
      ],
      [
        '[[host]]\nname = "h"\n[[host.location]]\npath = "/x/"\nallow_fingerprints = ["abc"]\n',
        'bad.toml:5: host[0].location[0].allow_fingerprints: "abc" is not a SHA-256 fingerprint',
      ],
      [
        '[[host]]\nname = "h"\n[[host.location]]\npath = "/x/"\ncgi = "a"\nproxy = "b"\n',
        "host[0].location[0].proxy: cannot be combined with cgi",
      ],
      [
        '[[host]]\nname = "h"\n[[host.location]]\npath = "/x/"\nproxy_sni = "b"\n',
        "host[0].location[0].proxy_sni: needs proxy",
      ],
      [
        '[[host]]\nname = "h"\n[[host.location]]\npath = "/x/"\ncgi = "missing"\n',
        "directory of h location /x/ does not exist",
      ],
    ];
    for (const [text, message] of bad) {
      await Deno.writeTextFile(join(dir, "bad.toml"), text);
      const io = memoryIo();
      const code = await runServe(
        ["--config", join(dir, "bad.toml"), "--check"],
        io,
        new AbortController().signal,
      );
      assertEquals(code, 1, text);
      assertStringIncludes(io.stderr.text(), message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gemini serve --config: Titan requests outside Titan locations get 59, not the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-dynamic-" });
  try {
    await Deno.mkdir(join(dir, "site"));
    await Deno.writeTextFile(join(dir, "site", "secret.gmi"), "# not for upload\n");
    const config = `[[host]]\nname = "localhost"\nroot = "site"\n\n` +
      `[[host.location]]\npath = "/up/"\ntitan = true\ntitan_anonymous = true\n\n` +
      `[[host.location]]\npath = "/static/"\n`;
    await withConfig(dir, config, async (port) => {
      for (const path of ["/secret.gmi", "/static/x.gmi"]) {
        const res = await fetchUrl(port, `titan://localhost:${port}${path};size=1`, {
          upload: new TextEncoder().encode("x"),
        });
        assertEquals([res.status, res.meta], [59, "Uploads are not accepted here"], path);
      }
      assertEquals(await Deno.readTextFile(join(dir, "site", "secret.gmi")), "# not for upload\n");
      const up = await titanUpload(
        `titan://localhost:${port}/up/a.gmi`,
        new TextEncoder().encode("a"),
      );
      assertEquals(up.status, 30);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
