/**
 * How `gemini serve` routes with the one router: a location `path` is a directory (`/dir/`:
 * that directory and below), an exact path or a pattern with `*` and `?`; the first location
 * that matches answers; hosts go by name, alias or `*.` wildcard, and other hosts get 53.
 * The site's handler is called directly (no TLS).
 */

import { assertEquals } from "../_helpers/assert.ts";
import { parseConfig } from "../../lib/server/config/mod.ts";
import { buildSite } from "../../lib/server/site.ts";
import { handlerRequest } from "./_request.ts";

/** Each location's root holds `name` at every path the test asks for, with its own text. */
async function root(dir: string, name: string, paths: string[]): Promise<string> {
  const r = `${dir}/${name}`;
  for (const path of paths) {
    const file = `${r}${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, name);
  }
  return r;
}

const PATHS = ["/dir/a.gmi", "/dir.gmi", "/dirx/a.gmi", "/x/b.txt", "/exact.gmi", "/abc.gmi"];

Deno.test("site routing: directory, exact and wildcard locations, first match wins", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const roots: Record<string, string> = {};
    for (const name of ["host", "directory", "text", "exact", "one-char", "shadowed"]) {
      roots[name] = await root(dir, name, PATHS);
    }
    const location = (path: string, name: string): string =>
      `[[host.location]]\npath = "${path}"\nroot = "${roots[name]}"\n`;
    const config = parseConfig(
      `[[host]]\nname = "example.org"\naliases = ["www.example.org", "*.example.net"]\n` +
        `root = "${roots.host}"\n` +
        location("/dir/", "directory") +
        location("*.txt", "text") +
        location("/exact.gmi", "exact") +
        location("/a?c.gmi", "one-char") +
        location("/exact.gmi", "shadowed"),
    );
    const site = await buildSite(config, { certificateDir: `${dir}/certs` });
    const answer = async (url: string): Promise<string> => {
      const reply = await site.handler(handlerRequest(url));
      return reply.status === 20
        ? String(
          reply.body instanceof Uint8Array ? new TextDecoder().decode(reply.body) : reply.body,
        )
        : `${reply.status} ${reply.meta}`;
    };
    const table: [string, string][] = [
      ["gemini://example.org/dir/a.gmi", "directory"],
      ["gemini://example.org/dirx/a.gmi", "host"],
      ["gemini://example.org/x/b.txt", "text"],
      ["gemini://example.org/exact.gmi", "exact"],
      ["gemini://example.org/abc.gmi", "one-char"],
      ["gemini://www.example.org/exact.gmi", "exact"],
      ["gemini://a.b.example.net/x/b.txt", "text"],
      ["gemini://example.net/x/b.txt", "53 Host example.net is not served here"],
      ["gemini://example.com/", "53 Host example.com is not served here"],
      ["titan://example.org/dir/a.gmi;size=1", "59 Uploads are not accepted here"],
    ];
    for (const [url, expected] of table) assertEquals(await answer(url), expected, url);
    // The directory location answers for the directory itself too (a redirect to its slash
    // form from its own root, which has no index).
    assertEquals((await site.handler(handlerRequest("gemini://example.org/dir"))).status, 31);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
