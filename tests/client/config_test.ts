/** config.toml: every key, units, and errors that name the file, line and key. */

import { assertEquals, assertRejects, assertThrows } from "../_helpers/assert.ts";
import { loadClientConfig, parseClientConfig } from "../../lib/client/config.ts";

Deno.test("parseClientConfig() reads every [client] key and [proxies]", () => {
  const config = parseClientConfig(`
# defaults for get and browse
[client]
tofu = "warn"
retries = 5
max_wait = 12.5
max_redirects = 2
connect_timeout = 3
header_timeout = 0.5
idle_timeout = 90
max_size = "2M"
allow_gopher = true

[proxies]
https = "gemini://proxy.example:1965"
gopher = "gemini://gopher.example/"
`);
  assertEquals(config, {
    tofu: "warn",
    retries: 5,
    maxWaitSeconds: 12.5,
    maxRedirects: 2,
    connectTimeoutMs: 3000,
    headerTimeoutMs: 500,
    idleTimeoutMs: 90000,
    maxBodyBytes: 2 * 1024 * 1024,
    allowGopher: true,
    proxies: { https: "gemini://proxy.example:1965", gopher: "gemini://gopher.example/" },
  });
});

Deno.test("parseClientConfig() accepts an empty file and byte counts", () => {
  assertEquals(parseClientConfig(""), {});
  assertEquals(parseClientConfig("[client]\nmax_size = 1000\n").maxBodyBytes, 1000);
  assertEquals(parseClientConfig('[client]\nmax_size = "10k"\n').maxBodyBytes, 10240);
  assertEquals(parseClientConfig('[client]\nmax_size = "1GiB"\n').maxBodyBytes, 1024 ** 3);
});

Deno.test("parseClientConfig() accepts a [browse] table and leaves it to gemini browse", () => {
  const text = '[client]\nretries = 2\n\n[browse]\nmax_width = 80\n[browse.handlers]\n"*" = "x"\n';
  assertEquals(parseClientConfig(text), { retries: 2 });
});

Deno.test("parseClientConfig() errors name the file, the line and the key", () => {
  const cases: [string, string][] = [
    ['[client]\n\ntofu = "maybe"\n', "/c/config.toml:3: client.tofu: expected"],
    ["[client]\nretries = -1\n", "/c/config.toml:2: client.retries: expected an integer >= 0"],
    ["[client]\nretries = 1.5\n", "/c/config.toml:2: client.retries"],
    ['[client]\nmax_wait = "soon"\n', "/c/config.toml:2: client.max_wait: expected a number"],
    ['[client]\nmax_size = "lots"\n', "/c/config.toml:2: client.max_size"],
    ['[client]\nallow_gopher = "yes"\n', "/c/config.toml:2: client.allow_gopher"],
    [
      "[client]\nconnect_timeout = 0\n",
      "/c/config.toml:2: client.connect_timeout: expected a number of seconds above 0",
    ],
    [
      "[client]\nheader_timeout = 0.0001\n",
      "/c/config.toml:2: client.header_timeout: expected a number of seconds above 0",
    ],
    ["[client]\nidle_timeout = 0\n", "/c/config.toml:2: client.idle_timeout"],
    ["[client]\nx = 1\nretires = 3\n", "/c/config.toml:2: client.x: unknown key"],
    ['[proxies]\nhttps = "http://p.example"\n', "/c/config.toml:2: proxies.https"],
    ["[proxies]\nhttps = 3\n", "/c/config.toml:2: proxies.https"],
    ["[server]\nport = 1\n", '/c/config.toml:1: unknown key "server"'],
    ["browse = 3\n", "/c/config.toml:1: browse: must be a table"],
    ["[client]\nretries = \n", "/c/config.toml:2: invalid TOML"],
    ["[client\n", "/c/config.toml:1: invalid TOML"],
  ];
  for (const [text, message] of cases) {
    const error = assertThrows(() => parseClientConfig(text, "/c/config.toml"), SyntaxError);
    if (!error.message.startsWith(message)) {
      throw new Error(`for ${JSON.stringify(text)}: got "${error.message}", want "${message}…"`);
    }
  }
});

Deno.test("loadClientConfig() reads config.toml from the paths; a missing file is empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = { configDir: dir, dataDir: dir, configFile: `${dir}/config.toml` };
    assertEquals(await loadClientConfig(paths), {});
    await Deno.writeTextFile(paths.configFile, '[client]\ntofu = "off"\n');
    assertEquals(await loadClientConfig(paths), { tofu: "off" });
    await Deno.writeTextFile(paths.configFile, '[client]\ntofu = "of"\n');
    await assertRejects(() => loadClientConfig(paths), SyntaxError, `${dir}/config.toml:2`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
