/**
 * The configuration keys of issue #6: `workers`, and the PROXY protocol globally
 * (`proxy_protocol`, `proxy_from`) or per listener (`listen = [{ address, proxy_protocol,
 * proxy_from }]`), with their errors and the --check round trip.
 */

import { assertEquals, assertThrows } from "../../_helpers/assert.ts";
import { ConfigError, formatConfig, parseConfig } from "../../../lib/server/config/mod.ts";
import { serveOptions } from "../../../lib/server/site.ts";

const HOST = '[[host]]\nname = "localhost"\n';

Deno.test("parseConfig() reads proxy_protocol per listener, with the global keys as defaults", () => {
  const config = parseConfig(
    [
      `listen = ["0.0.0.0:1965", { address = "127.0.0.1:1966", proxy_protocol = true }, ` +
      `{ address = "[::1]:1967", proxy_protocol = true, proxy_from = ["fd00::/8"] }]`,
      `proxy_from = ["10.0.0.0/8", "192.0.2.7"]`,
      "workers = 4",
      HOST,
    ].join("\n"),
  );
  assertEquals(config.workers, 4);
  assertEquals(config.listen, [
    { hostname: "0.0.0.0", port: 1965 },
    {
      hostname: "127.0.0.1",
      port: 1966,
      proxyProtocol: true,
      proxyFrom: ["10.0.0.0/8", "192.0.2.7"],
    },
    { hostname: "::1", port: 1967, proxyProtocol: true, proxyFrom: ["fd00::/8"] },
  ]);
});

Deno.test("parseConfig() proxy_protocol = true applies to every plain listen address", () => {
  const config = parseConfig(`listen = ["127.0.0.1", "[::1]"]\nproxy_protocol = true\n${HOST}`);
  assertEquals(config.listen, [
    { hostname: "127.0.0.1", port: 1965, proxyProtocol: true },
    { hostname: "::1", port: 1965, proxyProtocol: true },
  ]);
  // Without proxy_from the hook's default allow list (loopback) applies.
  const options = serveOptions(
    config,
    {
      handler: () => ({ status: 20, meta: "text/plain" }),
      certificates: [],
      hosts: ["localhost"],
      requestClientCertificate: false,
      generated: [],
    } as unknown as Parameters<typeof serveOptions>[1],
  );
  assertEquals(options.listen?.map((l) => l.proxyProtocol), [true, true]);
});

Deno.test("formatConfig() keeps workers and per-listener PROXY settings through a round trip", () => {
  const config = parseConfig(
    `listen = ["0.0.0.0:1965", { address = "127.0.0.1:1966", proxy_protocol = true, ` +
      `proxy_from = ["10.1.0.0/16"] }]\nworkers = 2\n${HOST}`,
  );
  const text = formatConfig(config);
  assertEquals(parseConfig(text), config);
  const plain = parseConfig(HOST);
  assertEquals(plain.workers, 1);
  assertEquals(parseConfig(formatConfig(plain)), plain);
  const auto = parseConfig(`workers = "auto"\n${HOST}`);
  assertEquals(auto.workers, "auto");
  assertEquals(parseConfig(formatConfig(auto)), auto);
});

Deno.test("parseConfig() refuses bad workers, proxy_from and listen tables with their key", () => {
  const cases: [string, string][] = [
    ["workers = 0", "workers"],
    ["workers = 1.5", "workers"],
    ["workers = 1000", "workers"],
    ['workers = "many"', "workers"],
    [`proxy_from = ["example.org"]`, "proxy_from: Invalid address in the PROXY allow list"],
    [`proxy_from = ["10.0.0.0/40"]`, "prefix length"],
    [`listen = [{ proxy_protocol = true }]`, "listen[0].address: is required"],
    [`listen = [{ address = "127.0.0.1", proxy = true }]`, "listen[0]"],
    [`listen = [{ address = "127.0.0.1", proxy_from = ["nope"] }]`, "listen[0].proxy_from"],
  ];
  for (const [line, message] of cases) {
    assertThrows(
      () => parseConfig(`${line}\n${HOST}`, { file: "serve.toml" }),
      ConfigError,
      message,
    );
  }
});
