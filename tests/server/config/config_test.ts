import { assert, assertEquals, assertThrows } from "../../_helpers/assert.ts";
import { join } from "node:path";
import {
  ConfigError,
  formatConfig,
  parseConfig,
  parseListenAddress,
  parseSize,
} from "../../../lib/server/config/mod.ts";
import { buildSite, serveOptions } from "../../../lib/server/site.ts";
import { serve } from "../../../lib/server/server.ts";
import { generateCertificate } from "../../../lib/tls/certificate.ts";
import { fetchUrl } from "../_harness.ts";

const FULL = `# every key
listen = ["127.0.0.1:1965", "[::1]:1966"]
port = 1965
public_port = 1965
backend = "node"
log_format = "json"
log_ip = false
access_log = "logs/access.log"
error_log = "-"
request_timeout = 5
response_timeout = 60
shutdown_timeout = 3

[limits]
rate = true
rate_burst = 10
rate_per_second = 0.5
max_connections_per_ip = 8
max_connections = 100
ban = true
ban_after = 5
ban_window = 30
ban_seconds = 120
ban_max_seconds = 3600

[[host]]
name = "Example.org"
aliases = ["www.example.org"]
root = "site"
cert = "example.crt"
key = "example.key"
lang = "en"
charset = "utf-8"
default_mime = "text/plain"
mime = { md = "text/markdown" }
listing = false
index = ["index.gmi", "index.gemini"]
follow_symlinks = false
max_file_size = "10 MiB"

[[host.location]]
path = "/files/"
listing = true
max_file_size = 1048576

[[host.location]]
path = "/members/*"
require_client_certificate = true
lang = "fr"
rate_burst = 2
rate_per_second = 1

[[host]]
name = "other.example"
`;

Deno.test("parseConfig() reads every key and resolves relative paths", () => {
  const c = parseConfig(FULL, { file: "/etc/g/serve.toml", baseDir: "/etc/g" });
  assertEquals(c.listen, [{ hostname: "127.0.0.1", port: 1965 }, { hostname: "::1", port: 1966 }]);
  assertEquals([c.logFormat, c.logIp, c.requestTimeout, c.publicPort], ["json", false, 5, 1965]);
  assertEquals([c.accessLog, c.errorLog], ["/etc/g/logs/access.log", "-"], "relative to the file");
  assertEquals(c.limits.ratePerSecond, 0.5);
  const [a, b] = c.hosts;
  assertEquals([a.name, a.aliases, a.root, a.cert], [
    "example.org",
    ["www.example.org"],
    "/etc/g/site",
    "/etc/g/example.crt",
  ]);
  assertEquals([a.maxFileSize, a.mime, a.index.length], [
    10 * 1024 * 1024,
    { md: "text/markdown" },
    2,
  ]);
  assertEquals(a.locations[1], {
    path: "/members/*",
    lang: "fr",
    mime: {},
    requireClientCertificate: true,
    rate: { burst: 2, perSecond: 1 },
  });
  assertEquals([b.name, b.root, b.listing, b.defaultMime], [
    "other.example",
    undefined,
    false,
    "application/octet-stream",
  ]);
});

Deno.test("formatConfig() prints a configuration that parses back to the same", () => {
  const c = parseConfig(FULL, { baseDir: "/etc/g" });
  const text = formatConfig(c);
  assertEquals(parseConfig(text), c);
  assertEquals(
    formatConfig(parseConfig('[[host]]\nname = "localhost"\n')),
    [
      'listen = [ "0.0.0.0:1965" ]',
      "workers = 1",
      'backend = "auto"',
      'log_format = "text"',
      "log_ip = true",
      'access_log = "-"',
      'error_log = "-"',
      "request_timeout = 10",
      "response_timeout = 300",
      "shutdown_timeout = 10",
      "",
      "[limits]",
      "rate = true",
      "rate_burst = 20",
      "rate_per_second = 2",
      "connection_rate = true",
      "connection_rate_burst = 40",
      "connection_rate_per_second = 4",
      "max_connections_per_ip = 32",
      "max_connections = 1024",
      "ban = true",
      "ban_after = 20",
      "ban_window = 60",
      "ban_seconds = 60",
      "ban_max_seconds = 86400",
      "",
      "[recycle]",
      'handshake_failures = "auto"',
      "heap = 201326592",
      "age = 86400",
      "min_interval = 10",
      "memory = 25165824",
      "",
      "[[host]]",
      'name = "localhost"',
      "aliases = []",
      'default_mime = "application/octet-stream"',
      "listing = false",
      'index = [ "index.gmi" ]',
      "follow_symlinks = false",
      "max_file_size = 1073741824",
      "",
    ].join("\n"),
  );
});

Deno.test("parseConfig() errors name the file, line and key", () => {
  const cases: [string, string][] = [
    ["port = 1965\nport = 1966\n", "a.toml:2: invalid TOML"],
    ['[[host]]\nname = "a"\nlisitng = true\n', "a.toml:3: host[0].lisitng: unknown key"],
    ['[[host]]\nname = "a"\nfollow-symlinks = true\n', "(did you mean follow_symlinks?)"],
    ["[limits]\nrate_burst = 0\n", "a.toml:2: limits.rate_burst: must be a whole number >= 1"],
    ['listen = ["nowhere:1965"]\n[[host]]\nname = "a"\n', "a.toml:1: listen: "],
    ['[[host]]\nroot = "/x"\n', "a.toml:1: host[0].name: is required"],
    [
      '[[host]]\nname = "a"\n[[host]]\nname = "b"\naliases = ["A"]\n',
      "a.toml:5: host[1].aliases: A is already served by host[0]",
    ],
    ['[[host]]\nname = "a"\ncert = "x.crt"\n', "a.toml:3: host[0].cert: cert and key go together"],
    ['[[host]]\nname = "a"\nmax_file_size = "lots"\n', "a.toml:3: host[0].max_file_size: Size"],
    [
      '[[host]]\nname = "a"\n\n[[host]]\nname = "b"\n[[host.location]]\npath = "x"\n',
      "a.toml:7: host[1].location[0].path: must start with",
    ],
    [
      '[[host]]\nname = "a"\nmime = { txt = "plain" }\n',
      "a.toml:3: host[0].mime.txt: must be a media type",
    ],
    [
      'backend = "fast"\n[[host]]\nname = "a"\n',
      'a.toml:1: backend: must be "auto", "node" or "deno"',
    ],
    ["port = 1965\n", "a.toml: host: at least one [[host]] is needed"],
  ];
  for (const [source, expected] of cases) {
    const error = assertThrows(() => parseConfig(source, { file: "a.toml" }), ConfigError);
    assert(
      error.message.startsWith(expected) || error.message.includes(expected),
      `${expected} vs ${error.message}`,
    );
  }
});

Deno.test("parseListenAddress() and parseSize() accept the documented forms", () => {
  const table: [string, string, number][] = [
    ["0.0.0.0", "0.0.0.0", 1965],
    ["127.0.0.1:1966", "127.0.0.1", 1966],
    ["[::1]:1967", "::1", 1967],
    ["[::]", "::", 1965],
    ["::", "::", 1965],
    [":1968", "0.0.0.0", 1968],
    ["localhost:0", "127.0.0.1", 0],
  ];
  for (const [text, hostname, port] of table) {
    assertEquals(parseListenAddress(text, 1965), { hostname, port }, text);
  }
  for (const bad of ["example.org:1965", "1.2.3.4:99999", "[::1]:x", "1.2.3.4:"]) {
    assertThrows(() => parseListenAddress(bad, 1965), SyntaxError);
  }
  assertEquals([parseSize(0), parseSize("1k"), parseSize("1.5 MiB"), parseSize("2GB")], [
    0,
    1024,
    1572864,
    2 * 1024 ** 3,
  ]);
});

Deno.test("a configured site applies per-location listing, MIME, client-certificate and rate options", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gemini-site-" });
  try {
    await Deno.mkdir(join(dir, "site", "files"), { recursive: true });
    await Deno.mkdir(join(dir, "site", "members"), { recursive: true });
    await Deno.writeTextFile(join(dir, "site", "index.gmi"), "# Home\n");
    await Deno.writeTextFile(join(dir, "site", "notes.md"), "*md*\n");
    await Deno.writeTextFile(join(dir, "site", "files", "a.txt"), "a\n");
    await Deno.writeTextFile(join(dir, "site", "members", "index.gmi"), "# Members\n");
    const config = parseConfig(
      `listen = "127.0.0.1:0"
public_port = 1965
[limits]
rate = false
[[host]]
name = "localhost"
root = "site"
lang = "en"
mime = { md = "text/markdown" }
[[host.location]]
path = "/files/"
listing = true
[[host.location]]
path = "/members/"
require_client_certificate = true
lang = "fr"
rate_burst = 1
rate_per_second = 0.01
`,
      { baseDir: dir },
    );
    const site = await buildSite(config, { certificateDir: join(dir, "certs") });
    assert(site.requestClientCertificate);
    const server = await serve(serveOptions(config, site));
    const port = server.addrs[0].port;
    try {
      assertEquals(server.backend, "node");
      assertEquals((await fetchUrl(port, "gemini://localhost/")).header, "20 text/gemini; lang=en");
      assertEquals(
        (await fetchUrl(port, "gemini://localhost/notes.md")).header,
        "20 text/markdown",
      );
      assertEquals(
        (await fetchUrl(port, "gemini://localhost/files/")).text,
        "# Index of /files/\n\n=> ../ ..\n=> a.txt a.txt (2 B)\n",
      );
      assertEquals((await fetchUrl(port, "gemini://localhost/members/")).status, 60);
      const id = await generateCertificate("member");
      const identity = { cert: id.cert, key: id.key };
      const member = await fetchUrl(port, "gemini://localhost/members/", { identity });
      assertEquals([member.header, member.text], ["20 text/gemini; lang=fr", "# Members\n"]);
      assertEquals((await fetchUrl(port, "gemini://localhost/members/", { identity })).status, 44);
      assertEquals(
        (await fetchUrl(port, "gemini://localhost/")).status,
        20,
        "other paths are not limited",
      );
    } finally {
      await server.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's configuration example parses and its tables document every key", async () => {
  const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("### Configuration reference"));
  const toml = /```toml\n([\s\S]*?)```/.exec(section)![1];
  const config = parseConfig(toml, { file: "README.md" });
  assertEquals(config.hosts.length, 2);
  assertEquals(config.hosts[0].locations.length, 2);
  const documented = new Set(
    [...section.matchAll(/^\| `([a-z_]+)`(?:, `([a-z_]+)`)?(?:, `([a-z_]+)`)?/gm)]
      .flatMap((m) => m.slice(1).filter(Boolean)),
  );
  const used = new Set([...toml.matchAll(/^([a-z_]+) =/gm)].map((m) => m[1]));
  for (const key of used) assert(documented.has(key), `${key} is not in a README table`);
});
