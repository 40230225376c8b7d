import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { accessControl, accessPolicy } from "../../lib/server/access.ts";
import { generateCertificate } from "../../lib/tls/certificate.ts";
import { formatFingerprint } from "../../lib/tls/fingerprint.ts";
import { fetchUrl, HANDLER_TEST, startServer } from "./_harness.ts";
import { makeCa } from "./_ca.ts";

const HOUR = 3_600_000;

Deno.test("accessPolicy() answers 60 with the prompt, 62 for dates, 61 off the list", async () => {
  const alice = await generateCertificate("alice");
  const bob = await generateCertificate("bob");
  const policy = accessPolicy({
    prompt: "Members only",
    allow: [
      `SHA256:${formatFingerprint(alice.info.spkiSha256)}`,
      bob.info.certSha256.toUpperCase(),
    ],
  });
  assertEquals(policy.summary, { allow: 2, ca: 0 });
  assertEquals(policy.check(undefined), { status: 60, meta: "Members only" });
  assertEquals(policy.check(alice.info), undefined);
  assertEquals(policy.check(bob.info), undefined);
  const eve = await generateCertificate("eve");
  assertEquals(policy.check(eve.info), { status: 61, meta: "Certificate not authorised" });
  const expired = { ...alice.info, notAfter: new Date(Date.now() - HOUR) };
  assertEquals(policy.check(expired)?.status, 62);
  const future = { ...alice.info, notBefore: new Date(Date.now() + HOUR) };
  assertEquals(policy.check(future), { status: 62, meta: "Certificate not yet valid" });
});

Deno.test("accessPolicy() without a list or CA accepts any valid certificate", async () => {
  const policy = accessPolicy();
  assertEquals(policy.check((await generateCertificate("x")).info), undefined);
  assertEquals(policy.check(undefined)?.status, 60);
});

Deno.test("accessPolicy() with an empty allow list lets nobody in", async () => {
  assertEquals(
    accessPolicy({ allow: [] }).check((await generateCertificate("x")).info)?.status,
    61,
  );
});

Deno.test("accessPolicy() rejects malformed fingerprints and CA files", () => {
  assertThrows(() => accessPolicy({ allow: ["abcd"] }), SyntaxError, "not a SHA-256");
  assertThrows(() => accessPolicy({ ca: "no pem here" }), SyntaxError, "no PEM certificate");
});

Deno.test("accessPolicy() accepts certificates issued by the CA and checks the signature", async () => {
  const ca = await makeCa();
  const other = await makeCa("Test CA"); // same name, different key
  const policy = accessPolicy({ ca: ca.cert });
  assertEquals(policy.summary, { allow: 0, ca: 1 });
  assertEquals(policy.check((await ca.issue("member")).info), undefined);
  assertEquals(policy.check((await other.issue("forger")).info), {
    status: 62,
    meta: "Certificate signature does not verify",
  });
  assertEquals(policy.check((await generateCertificate("stranger")).info)?.status, 61);
  const expired = await ca.issue("old", {
    notBefore: new Date(Date.now() - 3 * HOUR),
    notAfter: new Date(Date.now() - HOUR),
  });
  assertEquals(policy.check(expired.info), { status: 62, meta: "Certificate expired" });
});

Deno.test("accessControl(): 60, 61, 62 and success over TLS with our own identities", async () => {
  const ca = await makeCa();
  const member = await generateCertificate("member");
  const handler = accessControl(
    { prompt: "Show your membership card", allow: [member.info.spkiSha256], ca: ca.cert },
  )((req) => ({
    status: 20,
    meta: "text/plain",
    body: `hello ${req.clientCertificate?.commonName}`,
  }));
  const server = await startServer(handler, HANDLER_TEST);
  const url = `gemini://localhost:${server.port}/private`;
  try {
    const prompt = await fetchUrl(server.port, url);
    assertEquals(
      [prompt.status, prompt.meta, prompt.text, prompt.body],
      [60, "Show your membership card", "", new Uint8Array()],
    );
    const ok = await fetchUrl(server.port, url, { identity: member });
    assertEquals([ok.status, ok.text], [20, "hello member"]);
    const issued = await fetchUrl(server.port, url, { identity: await ca.issue("issued") });
    assertEquals([issued.status, issued.text], [20, "hello issued"]);
    const stranger = await fetchUrl(server.port, url, {
      identity: await generateCertificate("stranger"),
    });
    assertEquals(stranger.status, 61);
    const expired = await generateCertificate("member-old", {
      notBefore: new Date(Date.now() - 3 * HOUR),
      notAfter: new Date(Date.now() - HOUR),
    });
    assertEquals((await fetchUrl(server.port, url, { identity: expired })).status, 62);
    const future = await generateCertificate("member-new", {
      notBefore: new Date(Date.now() + HOUR),
      notAfter: new Date(Date.now() + 3 * HOUR),
    });
    const early = await fetchUrl(server.port, url, { identity: future });
    assertEquals(
      [early.status, early.meta, early.text, early.body],
      [62, "Certificate not yet valid", "", new Uint8Array()],
    );
  } finally {
    await server.close();
  }
});
