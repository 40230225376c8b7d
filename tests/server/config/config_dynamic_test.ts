import { assertEquals } from "../../_helpers/assert.ts";
import { formatConfig, parseConfig } from "../../../lib/server/config/mod.ts";

const FP = "ab".repeat(32);

const DYNAMIC = `
[[host]]
name = "example.org"
root = "site"

[[host.rule]]
match = "^/old/(.*)$"
redirect = "/new/$1"
permanent = true

[[host.rule]]
match = "^/gone/"
gone = true

[[host.override]]
match = "\\\\.txt$"
mime = "text/plain"
lang = ""

[[host.location]]
path = "/cgi-bin/"
cgi = "cgi-bin"
cgi_timeout = 2.5
cgi_env = { LANG = "C.UTF-8" }

[[host.location]]
path = "/app"
cgi_program = "bin/app"

[[host.location]]
path = "/private/"
certificate_prompt = "Members only"
allow_fingerprints = ["SHA256:${FP.toUpperCase()}"]
allow_file = "members.txt"
ca_file = "ca.pem"

[[host.location]]
path = "/wiki/"
titan = true
titan_root = "wiki"
titan_tokens = ["t1", "t2"]
titan_allow_fingerprints = ["${FP}"]
titan_require_both = true
titan_max_size = "64 KiB"
titan_mime = ["text/*"]
titan_delete = true
titan_timeout = 30

[[host.location]]
path = "/proxy/"
proxy = "[::1]:1966"
proxy_sni = "internal.example"
proxy_fingerprints = ["${FP}"]
proxy_cert = "proxy.crt"
proxy_key = "proxy.key"
proxy_timeout = 3
proxy_rewrite_url = true

[[host.location.rule]]
match = "^/proxy/old$"
redirect = "/proxy/new"

[[host.location.override]]
match = "\\\\.gmi$"
lang = "de"
`;

Deno.test("parseConfig() reads the CGI, access, Titan, proxy, rule and override keys", () => {
  const c = parseConfig(DYNAMIC, { baseDir: "/etc/g" });
  const h = c.hosts[0];
  assertEquals(h.rules, [
    { match: "^/old/(.*)$", redirect: "/new/$1", permanent: true },
    { match: "^/gone/", gone: "Gone" },
  ]);
  assertEquals(h.overrides, [{ match: "\\.txt$", mime: "text/plain", lang: "" }]);
  assertEquals(h.locations[0].cgi, {
    root: "/etc/g/cgi-bin",
    timeout: 2.5,
    env: { LANG: "C.UTF-8" },
  });
  assertEquals(h.locations[1].cgi, { program: "/etc/g/bin/app", timeout: 10, env: {} });
  assertEquals(
    [h.locations[2].certificatePrompt, h.locations[2].allowFingerprints, h.locations[2].caFile],
    ["Members only", [FP], "/etc/g/ca.pem"],
  );
  assertEquals(h.locations[3].titan, {
    root: "/etc/g/wiki",
    tokens: ["t1", "t2"],
    allow: [FP],
    requireBoth: true,
    anonymous: false,
    maxSize: 65536,
    mime: ["text/*"],
    delete: true,
    timeout: 30,
  });
  assertEquals(h.locations[4].proxy, {
    upstream: "[::1]:1966",
    sni: "internal.example",
    fingerprints: [FP],
    cert: "/etc/g/proxy.crt",
    key: "/etc/g/proxy.key",
    timeout: 3,
    rewriteUrl: true,
  });
  assertEquals(h.locations[4].rules, [{ match: "^/proxy/old$", redirect: "/proxy/new" }]);
  assertEquals(h.locations[4].overrides, [{ match: "\\.gmi$", lang: "de" }]);
  assertEquals(h.locations[0].rules, undefined);
});

Deno.test("formatConfig() round-trips the dynamic keys", () => {
  const c = parseConfig(DYNAMIC, { baseDir: "/etc/g" });
  assertEquals(parseConfig(formatConfig(c)), c);
});
