/**
 * parseAllowList() (config/values.ts, no node:net) is the one parser of PROXY allow-list
 * entries: the configuration checks with it and allowList() (node:net BlockList, used when
 * serving) builds from what it returns, so every entry the configuration accepts is one the
 * listener can take, and the listener refuses exactly what the configuration refuses.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import { parseAllowList } from "../../../lib/server/config/values.ts";
import { allowList } from "../../../lib/server/proxy_listener.ts";

const ENTRIES = [
  "127.0.0.1",
  "0.0.0.0",
  "255.255.255.255",
  "256.1.1.1",
  "01.2.3.4",
  "1.2.3",
  "::",
  "::1",
  "fe80::1%eth0",
  "::ffff:1.2.3.4",
  "1::2::3",
  "gggg::1",
  "[::1]",
  "localhost",
  "10.0.0.0/8",
  "10.0.0.0/32",
  "10.0.0.0/33",
  "10.0.0.0/",
  "10.0.0.0/x",
  "2001:db8::/32",
  "::/128",
  "::1/129",
  " 192.0.2.1 ",
  "192.0.2.1/0",
  "",
];

Deno.test("allowList() takes every entry parseAllowList() accepts and refuses the others", () => {
  for (const entry of ENTRIES) {
    const accepted = (check: () => void): boolean => {
      try {
        check();
        return true;
      } catch {
        return false;
      }
    };
    assertEquals(
      accepted(() => parseAllowList([entry])),
      accepted(() => allowList([entry])),
      JSON.stringify(entry),
    );
  }
});

Deno.test("parseAllowList() reads addresses and CIDR blocks at the prefix limits", () => {
  assertEquals(parseAllowList([" 192.0.2.1 ", "10.0.0.0/32", "::/128", "10.0.0.0/0"]), [
    { address: "192.0.2.1", family: "ipv4" },
    { address: "10.0.0.0", family: "ipv4", bits: 32 },
    { address: "::", family: "ipv6", bits: 128 },
    { address: "10.0.0.0", family: "ipv4", bits: 0 },
  ]);
  for (const bad of ["10.0.0.0/33", "::/129", "fe80::1%eth0", "localhost", "10.0.0.0/"]) {
    let message = "";
    try {
      parseAllowList([bad]);
    } catch (error) {
      message = (error as TypeError).message;
    }
    assertEquals(message.startsWith("Invalid "), true, bad);
  }
});
