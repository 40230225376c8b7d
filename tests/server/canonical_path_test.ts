/**
 * One canonical path for every rule (issue 11): locations, certificate rules, gone rules,
 * CGI mapping and the file server all see the same decoded, normalised path, so no
 * spelling of a path can be checked by one location and answered by another. Regression
 * tests over real TLS for the spellings that walked past access control, and a fast-check
 * property over the whole pipeline (in memory) against an independent model.
 */

import fc from "fast-check";
import { assert, assertEquals, assertStringIncludes } from "../_helpers/assert.ts";
import { parseConfig } from "../../lib/server/config/mod.ts";
import { buildSite, serveOptions, type Site } from "../../lib/server/site.ts";
import { serve } from "../../lib/server/server.ts";
import { serveConnection } from "../../lib/server/connection.ts";
import { memoryConnection } from "../../lib/server/memory_connection.ts";
import { type CertificateInfo, generateCertificate } from "../../lib/tls/certificate.ts";
import { fetchUrl } from "./_harness.ts";

const SCRIPT = "#!/bin/sh\nprintf '20 text/plain\\r\\ncgi:%s' \"$PATH_INFO\"\n";

/** A capsule with a members-only location, a CGI directory and a gone rule. */
async function capsule(): Promise<
  { dir: string; site: Site; config: ReturnType<typeof parseConfig> }
> {
  const dir = await Deno.makeTempDir();
  const root = `${dir}/root`;
  for (const sub of ["members", "public", "old", "cgi-bin"]) {
    await Deno.mkdir(`${root}/${sub}`, { recursive: true });
  }
  await Deno.writeTextFile(`${root}/index.gmi`, "file:root");
  await Deno.writeTextFile(`${root}/members/s.gmi`, "file:members");
  await Deno.writeTextFile(`${root}/public/p.gmi`, "file:public");
  await Deno.writeTextFile(`${root}/old/o.gmi`, "file:old");
  await Deno.writeTextFile(`${root}/cgi-bin/prog.sh`, SCRIPT, { mode: 0o755 });
  const config = parseConfig(
    [
      "[limits]",
      "rate = false",
      "[[host]]",
      'name = "localhost"',
      `root = "${root}"`,
      "[[host.rule]]",
      'match = "^/old/"',
      "gone = true",
      "[[host.location]]",
      'path = "/members/"',
      "require_client_certificate = true",
      "[[host.location]]",
      'path = "/cgi-bin/"',
      `cgi = "${root}/cgi-bin"`,
      "",
    ].join("\n"),
  );
  const site = await buildSite(config, { certificateDir: `${dir}/certs` });
  return { dir, site, config };
}

Deno.test("regression: //members/, //cgi-bin/prog.sh and //old/ meet the rules of their location over TLS", async () => {
  const { dir, site, config } = await capsule();
  config.listen = [{ hostname: "127.0.0.1", port: 0 }];
  const server = await serve(serveOptions(config, site));
  const port = server.addrs[0].port;
  try {
    const get = (path: string) => fetchUrl(port, `gemini://localhost:${port}${path}`);
    for (
      const path of ["/members/s.gmi", "//members/s.gmi", "/%6Dembers/s.gmi", "/x/../members/s.gmi"]
    ) {
      const r = await get(path);
      assertEquals(r.status, 60, `${path}: ${r.header}`);
    }
    for (const path of ["/cgi-bin/prog.sh", "//cgi-bin/prog.sh", "/cgi-bin//prog.sh"]) {
      const r = await get(path);
      assert(!r.text.includes("#!/bin/sh"), `${path} served the program's source`);
      assertEquals([r.status, r.text], [20, "cgi:"], path);
    }
    for (const path of ["/old/o.gmi", "//old/o.gmi", "/old//o.gmi"]) {
      assertEquals((await get(path)).status, 52, path);
    }
    const traversal = await get("/cgi-bin/prog.sh/x/..%2F..%2F..%2Fetc%2Fpasswd");
    assertEquals(traversal.status, 59, traversal.header);
  } finally {
    await server.shutdown(2000);
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------
// property: the location whose rules applied is the location that answered

/** Path segments, raw as a client may spell them. */
const SEGMENTS = [
  "",
  "",
  ".",
  "..",
  "%2e",
  "%2E%2e",
  ".%2e",
  "members",
  "MEMBERS",
  "%6Dembers",
  "%6d%65mbers",
  "cgi-bin",
  "cgi%2Dbin",
  "prog.sh",
  "old",
  "%6Fld",
  "o.gmi",
  "s.gmi",
  "public",
  "p.gmi",
  "%2F",
  "a%2Fb",
  "%5C",
  "x",
  "%2573",
  ".hidden",
];

type Expected =
  | { kind: "refused" } // 59
  | { kind: "members" } // 60 without a certificate
  | { kind: "gone" } // 52
  | { kind: "cgi"; pathInfo: string } // the program, or 51 when no program matches
  | { kind: "file"; path: string }; // the file server

/**
 * The model: WHATWG dot segments first (raw or `%2e` spelled), a climb above the root
 * refused, then each segment decoded once; an encoded slash or backslash refused; empty
 * segments dropped; then the first matching rule: gone, members, cgi-bin, files.
 */
function model(raw: string[]): Expected {
  const dot = (s: string) => s === "." || s.toLowerCase() === "%2e";
  const dotdot = (s: string) => ["..", ".%2e", "%2e.", "%2e%2e"].includes(s.toLowerCase());
  // A ".." that climbs above the root is refused: checked on the decoded text, where an
  // encoded slash or backslash separates too, counting only non-empty segments.
  let depth = 0;
  for (const s of decodeURIComponent(raw.join("/")).split(/[/\\]/)) {
    if (s === ".." && --depth < 0) return { kind: "refused" };
    if (s !== ".." && s !== "." && s !== "") depth++;
  }
  // Then the URL parser's dot-segment removal (an empty segment is one too).
  const out: string[] = [];
  for (const s of raw) {
    if (dot(s)) continue;
    if (dotdot(s)) out.pop();
    else out.push(s);
  }
  const decoded: string[] = [];
  for (const s of out) {
    const d = decodeURIComponent(s);
    if (d.includes("/") || d.includes("\\")) return { kind: "refused" };
    if (d !== "") decoded.push(d);
  }
  const trailing = raw.length > 0 && (raw.at(-1) === "" || dot(raw.at(-1)!) || dotdot(raw.at(-1)!));
  const path = "/" + decoded.join("/") + (trailing && decoded.length > 0 ? "/" : "");
  if (/^\/old\//.test(path)) return { kind: "gone" };
  // A location "/members/" also covers "/members" itself.
  if (path === "/members" || path.startsWith("/members/")) return { kind: "members" };
  if (path === "/cgi-bin" || path.startsWith("/cgi-bin/")) {
    return { kind: "cgi", pathInfo: path.slice("/cgi-bin/prog.sh".length) };
  }
  return { kind: "file", path };
}

async function ask(site: Site, rawPath: string, cert?: CertificateInfo): Promise<string> {
  const conn = memoryConnection(`gemini://localhost${rawPath}\r\n`, { peerCertificate: cert });
  await serveConnection(conn, { handler: site.handler, hosts: site.hosts, port: 1965 });
  return conn.text();
}

Deno.test("property: every spelling of a path is answered by the location whose rules it met", async () => {
  const { dir, site } = await capsule();
  const cert = (await generateCertificate("visitor")).info;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("", "/members", "//cgi-bin", "/cgi-bin/prog.sh", "/old", "/%6Dembers"),
        fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 6 }),
        async (prefix, segments) => {
          const raw = prefix + "/" + segments.join("/");
          const expected = model(raw.slice(1).split("/"));
          const anonymous = await ask(site, raw);
          const status = anonymous.slice(0, 2);
          const where = `${raw} -> ${JSON.stringify(anonymous.slice(0, 80))} (${expected.kind})`;
          // Whatever answered, nothing members-only, gone or a program's source leaked.
          assert(!anonymous.includes("file:members"), where);
          assert(!anonymous.includes("file:old"), where);
          assert(!anonymous.includes("#!/bin/sh"), where);
          switch (expected.kind) {
            case "refused":
              assertEquals(status, "59", where);
              break;
            case "gone":
              assertEquals(status, "52", where);
              break;
            case "members": {
              assertEquals(status, "60", where);
              // With a certificate the same spelling reaches the members' files and nothing else.
              const member = await ask(site, raw, cert);
              assert(
                /^(20 [^\r]*\r\nfile:members|51 |31 \/members)/.test(member),
                `${where} with a certificate: ${member}`,
              );
              break;
            }
            case "cgi":
              assert(
                anonymous.startsWith("51 ") ||
                  anonymous === `20 text/plain\r\ncgi:${expected.pathInfo}`,
                where,
              );
              break;
            case "file":
              assert(/^(20 |51 |31 )/.test(anonymous), where);
              if (status === "20") assertStringIncludes(anonymous, "file:", where);
              break;
          }
        },
      ),
      { numRuns: 400, seed: 1101 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
