/**
 * The files a configuration names are read once: checkSiteFiles() reads and checks them and
 * returns their contents, and siteCertificates() and buildSite() take those instead of
 * reading the files again (the worker that builds the site gets them in its messages).
 */

import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { join } from "node:path";
import { parseConfig, type ServerConfig } from "../../lib/server/config/mod.ts";
import { ConfigError } from "../../lib/server/config/types.ts";
import { buildSite, checkSiteFiles, siteCertificates } from "../../lib/server/site.ts";
import { certificateInfo, generateCertificate } from "../../lib/tls/certificate.ts";

const FP = "cd".repeat(32);

/** A configuration naming every kind of file, and the paths of those files. */
async function configWithFiles(
  dir: string,
): Promise<{ config: ServerConfig; texts: Record<string, string>; paths: string[] }> {
  const host = await generateCertificate("example.org");
  const proxy = await generateCertificate("proxy.example");
  const ca = await generateCertificate("ca.example");
  const files: Record<string, string> = {
    "host.crt": host.cert,
    "host.key": host.key,
    "proxy.crt": proxy.cert,
    "proxy.key": proxy.key,
    "ca.pem": ca.cert,
    "members.txt": `# members\nSHA256:${FP.toUpperCase()} alice\n`,
  };
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  await Deno.mkdir(join(dir, "site"));
  const config = parseConfig(
    [
      "[[host]]",
      'name = "example.org"',
      'root = "site"',
      'cert = "host.crt"',
      'key = "host.key"',
      "[[host.location]]",
      'path = "/private/"',
      'allow_file = "members.txt"',
      'ca_file = "ca.pem"',
      "[[host.location]]",
      'path = "/more/"',
      'allow_file = "members.txt"',
      "[[host.location]]",
      'path = "/proxy/"',
      'proxy = "127.0.0.1:1966"',
      'proxy_cert = "proxy.crt"',
      'proxy_key = "proxy.key"',
      "",
    ].join("\n"),
    { baseDir: dir },
  );
  return { config, texts: files, paths: Object.keys(files).map((name) => join(dir, name)) };
}

Deno.test("checkSiteFiles() returns what it read: each PEM file's text and each allow list's fingerprints, once per path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { config, texts } = await configWithFiles(dir);
    const files = await checkSiteFiles(config);
    assertEquals([...files.allowLists], [[join(dir, "members.txt"), [FP]]]);
    const pems = Object.fromEntries(
      Object.entries(texts).filter(([name]) => name !== "members.txt").map((
        [name, text],
      ) => [join(dir, name), text]),
    );
    assertEquals(Object.fromEntries(files.pems), pems);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("siteCertificates() and buildSite() use the files checkSiteFiles() read and do not read them again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { config, texts, paths } = await configWithFiles(dir);
    const files = await checkSiteFiles(config);
    // Gone from disk: whatever still works below was not read again.
    for (const path of paths) await Deno.remove(path);
    const certificateDir = join(dir, "certs");
    const made = await siteCertificates(config, certificateDir, { files });
    assertEquals(made.certificates, [
      { cert: texts["host.crt"], key: texts["host.key"], names: ["example.org"] },
    ]);
    const site = await buildSite(config, { certificateDir, files });
    assertEquals(site.certificates, made.certificates);
    assert(site.requestClientCertificate);
    // Without them the same build has to read the files, and cannot.
    await assertRejects(() => buildSite(config, { certificateDir }), ConfigError);
    await assertRejects(
      () => buildSite(config, { certificateDir, certificates: made.certificates }),
      ConfigError,
      "cannot read",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("siteCertificates() lists renewals and reissues as structured values", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = parseConfig('[[host]]\nname = "example.org"\naliases = ["www.example.org"]\n');
    const certificateDir = join(dir, "certs");
    const first = await siteCertificates(config, certificateDir);
    assertEquals([first.generated, first.reissued, first.renewed], [["example.org"], [], []]);
    const end = certificateInfo(first.certificates[0].cert).notAfter;
    const later = new Date(end.getTime() - 86_400_000);
    const withAlias = parseConfig(
      '[[host]]\nname = "example.org"\naliases = ["www.example.org", "gemini.example.org"]\n',
    );
    const again = await siteCertificates(withAlias, certificateDir, { now: later });
    assertEquals(again.reissued, [{ host: "example.org", added: ["gemini.example.org"] }]);
    const renewedEnd = certificateInfo(again.certificates[0].cert).notAfter;
    assert(renewedEnd.getTime() > end.getTime(), "the renewal ends later");
    assertEquals(again.renewed, [{
      host: "example.org",
      previousNotAfter: end,
      notAfter: renewedEnd,
      spkiSha256: certificateInfo(first.certificates[0].cert).spkiSha256,
    }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
