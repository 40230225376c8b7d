/**
 * checkAllowList() (config parsing, no node:net) accepts and refuses exactly the PROXY
 * allow-list entries that allowList() (node:net BlockList, used when serving) does.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import { checkAllowList } from "../../../lib/server/config/values.ts";
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

Deno.test("checkAllowList() agrees with allowList() on every entry", () => {
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
      accepted(() => checkAllowList([entry])),
      accepted(() => allowList([entry])),
      JSON.stringify(entry),
    );
  }
});
