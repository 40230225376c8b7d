/**
 * The known-hosts file store: format round trip, concurrent writers in separate processes,
 * corrupt files reported with file and line and never rewritten, pin matching and upgrade.
 */

import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertRejects, assertThrows } from "../_helpers/assert.ts";
import {
  FileKnownHosts,
  formatHostPort,
  formatKnownHost,
  openKnownHosts,
  parseHostPort,
  parseKnownHosts,
  pinFor,
  pinMatches,
} from "../../lib/client/known_hosts.ts";
import type { KnownHost } from "../../lib/client/types.ts";
import { generateCertificate, renewCertificate } from "../../lib/tls/certificate.ts";
import { pemToDer } from "../../lib/tls/pem.ts";
import { resolvePaths } from "../../lib/files/paths.ts";
import { createHash } from "node:crypto";

const T0 = "2026-01-01T00:00:00.000Z";
const SPKI = "ab".repeat(32);
const CERT = "cd".repeat(32);

function entry(host: string, port = 1965, extra: Partial<KnownHost> = {}): KnownHost {
  return {
    host,
    port,
    pin: "spki",
    spkiSha256: SPKI,
    certSha256: CERT,
    notAfter: "2027-01-01T00:00:00.000Z",
    firstSeen: T0,
    lastSeen: T0,
    ...extra,
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gemini-kh-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileKnownHosts put/get/list/remove round-trips through the file", async () => {
  await withDir(async (dir) => {
    const store = new FileKnownHosts(`${dir}/known_hosts`);
    assertEquals(await store.list(), []);
    assertEquals(await store.get("a.example", 1965), undefined);
    await store.put(entry("b.example"));
    await store.put(entry("A.Example", 1966));
    await store.put(entry("a.example"));
    const ipv6 = entry("::1", 1965, { pin: "cert", spkiSha256: "" });
    delete ipv6.notAfter;
    await store.put(ipv6);
    const list = await store.list();
    assertEquals(list.map((e) => formatHostPort(e.host, e.port)), [
      "[::1]:1965",
      "a.example:1965",
      "a.example:1966",
      "b.example:1965",
    ]);
    assertEquals(await store.get("A.EXAMPLE", 1966), entry("a.example", 1966));
    assertEquals(await store.get("[::1]", 1965), ipv6);
    // Replace, not duplicate.
    await store.put(entry("b.example", 1965, { lastSeen: "2026-02-01T00:00:00.000Z" }));
    assertEquals((await store.list()).length, 4);
    assertEquals((await store.get("b.example", 1965))?.lastSeen, "2026-02-01T00:00:00.000Z");
    assertEquals(await store.remove("b.example", 1965), true);
    assertEquals(await store.remove("b.example", 1965), false);
    assertEquals((await store.list()).length, 3);
    const text = await Deno.readTextFile(store.path);
    assert(text.startsWith("# gemini known_hosts: host port pin"));
    assertEquals((await Deno.stat(store.path)).mode! & 0o777, 0o600);
  });
});

Deno.test("FileKnownHosts keeps comment lines the user wrote", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/known_hosts`;
    await Deno.writeTextFile(path, `# mine\n\n${formatKnownHost(entry("a.example"))}\n# end\n`);
    const store = new FileKnownHosts(path);
    await store.put(entry("b.example"));
    const text = await Deno.readTextFile(path);
    assertEquals(
      text,
      `# mine\n\n${formatKnownHost(entry("a.example"))}\n# end\n${
        formatKnownHost(entry("b.example"))
      }\n`,
    );
  });
});

Deno.test("FileKnownHosts.put() refuses an entry that would not parse back", async () => {
  await withDir(async (dir) => {
    const store = new FileKnownHosts(`${dir}/known_hosts`);
    await assertRejects(
      () => store.put(entry("a.example", 1965, { spkiSha256: "XYZ" })),
      SyntaxError,
      "invalid SPKI fingerprint",
    );
    await assertRejects(() => store.put(entry("a.example", 0)), SyntaxError, "invalid port");
    await assertRejects(() => store.put(entry("a b", 1965)), SyntaxError, "expected 8 fields");
  });
});

Deno.test("parseKnownHosts() names the file and line of each kind of bad line", () => {
  const good = formatKnownHost(entry("a.example"));
  const cases: [string, string][] = [
    [good.slice(0, 40), "expected 8 fields"],
    [good.replace(" 1965 ", " 70000 "), "invalid port"],
    [good.replace(" spki ", " sha1 "), "invalid pin kind"],
    [good.replace(SPKI, SPKI.slice(0, 63)), "invalid SPKI fingerprint"],
    [good.replace(CERT, "zz"), "invalid certificate fingerprint"],
    [good.replace("2027-01-01T00:00:00.000Z", "tomorrow"), "invalid not-after"],
    [good.slice(0, -3), "invalid last-seen"],
    [good.replace(SPKI, "-"), "an spki pin needs an SPKI fingerprint"],
  ];
  for (const [bad, message] of cases) {
    const error = assertThrows(
      () => parseKnownHosts(`# header\n${good}\n${bad}\n`, "/x/known_hosts"),
      SyntaxError,
      message,
    );
    assert(error.message.startsWith("/x/known_hosts:3: "), error.message);
  }
});

Deno.test("a truncated known_hosts is reported with file and line and left unchanged", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/known_hosts`;
    const store = new FileKnownHosts(path);
    for (let i = 0; i < 5; i++) await store.put(entry(`h${i}.example`));
    const full = await Deno.readTextFile(path);
    const truncated = full.slice(0, full.length - 30);
    await Deno.writeTextFile(path, truncated);
    const where = `${path}:6:`;
    await assertRejects(() => store.list(), SyntaxError, where);
    await assertRejects(() => store.get("h0.example", 1965), SyntaxError, where);
    await assertRejects(() => store.put(entry("new.example")), SyntaxError, where);
    await assertRejects(() => store.remove("h0.example", 1965), SyntaxError, where);
    assertEquals(await Deno.readTextFile(path), truncated);
    const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(leftovers, ["known_hosts", "known_hosts.lock"]);
  });
});

Deno.test("two processes adding 100 entries each end with 200 entries", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/known_hosts`;
    const script = fileURLToPath(new URL("./_known_hosts_writer.ts", import.meta.url));
    const children = ["one", "two"].map((prefix) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", script, path, prefix, "100"],
        stdout: "piped",
        stderr: "piped",
      }).spawn()
    );
    const results = await Promise.all(children.map((c) => c.output()));
    for (const r of results) {
      assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    }
    const list = await new FileKnownHosts(path).list();
    assertEquals(list.length, 200);
    assertEquals(new Set(list.map((e) => e.host)).size, 200);
  });
});

Deno.test("concurrent puts in one process lose nothing", async () => {
  await withDir(async (dir) => {
    const store = new FileKnownHosts(`${dir}/known_hosts`);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(entry(`p${i}.example`))));
    assertEquals((await store.list()).length, 20);
  });
});

Deno.test("pinFor() pins the SPKI; pinMatches() accepts a renewal with the same key", async () => {
  const old = await generateCertificate("example.org");
  const renewed = await renewCertificate(old.cert, old.key, { days: 30 });
  const other = await generateCertificate("example.org");
  const pin = pinFor(old.info, { host: "Example.org", port: 1965, now: new Date(T0) });
  assertEquals(pin.host, "example.org");
  assertEquals(pin.firstSeen, T0);
  assertEquals(pin.notAfter, old.info.notAfter.toISOString());
  assert(pinMatches(pin, old.info));
  assert(pinMatches(pin, renewed.info));
  assert(!pinMatches(pin, other.info));
  const later = pinFor(renewed.info, { host: "example.org", port: 1965, previous: pin });
  assertEquals(later.firstSeen, T0);
  assertEquals(later.certSha256, renewed.info.certSha256);
});

Deno.test("pinMatches() checks whole-certificate pins (SHA-256 and gmni SHA-512)", async () => {
  const { info } = await generateCertificate("example.org");
  const renewed = (await generateCertificate("example.org")).info;
  const certPin = entry("example.org", 1965, {
    pin: "cert",
    spkiSha256: "",
    certSha256: info.certSha256,
  });
  assert(pinMatches(certPin, info));
  assert(!pinMatches(certPin, renewed));
  const sha512 = createHash("sha512").update(pemToDer(info.pem, "CERTIFICATE")[0]).digest("hex");
  const gmni = entry("example.org", 1965, {
    pin: "cert",
    spkiSha256: "",
    certSha256: "",
    certSha512: sha512,
  });
  assert(pinMatches(gmni, info));
  assert(pinMatches({ ...gmni, certSha512: sha512.slice(0, 64) }, info));
  assert(!pinMatches(gmni, renewed));
  // The gmni digest round-trips through the file format.
  const [back] = parseKnownHosts(formatKnownHost(gmni));
  assertEquals(back.certSha512, sha512);
  assertEquals(back.certSha256, "");
});

Deno.test("parseHostPort() reads host, host:port and bracketed IPv6", () => {
  assertEquals(parseHostPort("Example.org"), { host: "example.org", port: 1965 });
  assertEquals(parseHostPort("example.org:1966"), { host: "example.org", port: 1966 });
  assertEquals(parseHostPort("[::1]:70"), { host: "::1", port: 70 });
  assertEquals(parseHostPort("::1"), { host: "::1", port: 1965 });
  assertThrows(() => parseHostPort("example.org:0"), SyntaxError, "Invalid port");
  assertThrows(() => parseHostPort("example.org:x"), SyntaxError, "Invalid port");
  // A pasted URL gives its host and port; junk is refused rather than looked up.
  assertEquals(parseHostPort("gemini://Example.org:1966/page?q"), {
    host: "example.org",
    port: 1966,
  });
  assertEquals(parseHostPort("gemini://[::1]/"), { host: "::1", port: 1965 });
  assertEquals(parseHostPort("bücher.example"), { host: "xn--bcher-kva.example", port: 1965 });
  for (const bad of ["a b", "[::1", "exa/mple.org", "user@example.org", "<x>"]) {
    assertThrows(() => parseHostPort(bad), SyntaxError, "Invalid host");
  }
  assertThrows(() => parseHostPort(":1965"), SyntaxError, "Missing host");
});

Deno.test("openKnownHosts() follows GEMINI_HOME", () => {
  const paths = resolvePaths((k) => (k === "GEMINI_HOME" ? "/tmp/gh" : undefined));
  assertEquals(openKnownHosts(paths).path, "/tmp/gh/data/known_hosts");
});
