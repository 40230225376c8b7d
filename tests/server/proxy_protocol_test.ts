/**
 * parseProxyHeader(): both versions at their limits, incremental input byte by byte, and a
 * property test that it never throws anything but ProxyProtocolError.
 */

import { concatBytes } from "../../lib/protocol/bytes.ts";
import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import {
  detectProxyHeader,
  formatProxyHeader,
  parseProxyHeader,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  ProxyProtocolError,
} from "../../lib/server/proxy_protocol.ts";
import { formatIpBytes, isIPv4, isIPv6 } from "../../lib/protocol/ip.ts";

const enc = new TextEncoder();

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return concatBytes(parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p))));
}

function v2(verCmd: number, fam: number, body: number[] | Uint8Array): Uint8Array {
  const length = body.length;
  return concat(PROXY_V2_SIGNATURE, [verCmd, fam, length >> 8, length & 0xff], body);
}

const TLS_HELLO = [0x16, 0x03, 0x01, 0x00, 0x05];

// ---------------------------------------------------------------------------------------
// version 1

Deno.test("parseProxyHeader() reads a v1 TCP4 header and returns the bytes after it", () => {
  const bytes = concat(enc.encode("PROXY TCP4 192.0.2.1 198.51.100.2 51000 1965\r\n"), TLS_HELLO);
  const result = parseProxyHeader(bytes);
  assert(result.done);
  assertEquals(result.header, {
    version: 1,
    command: "proxy",
    family: "tcp4",
    source: { hostname: "192.0.2.1", port: 51000 },
    destination: { hostname: "198.51.100.2", port: 1965 },
    length: bytes.length - TLS_HELLO.length,
  });
  assertEquals(Array.from(result.rest), TLS_HELLO);
});

Deno.test("parseProxyHeader() reads a v1 TCP6 header and lower-cases the addresses", () => {
  const result = parseProxyHeader(enc.encode("PROXY TCP6 2001:DB8::1 ::1 0 65535\r\n"));
  assert(result.done);
  assertEquals(result.header.source, { hostname: "2001:db8::1", port: 0 });
  assertEquals(result.header.destination, { hostname: "::1", port: 65535 });
  assertEquals(result.header.family, "tcp6");
  assertEquals(result.rest.length, 0);
});

Deno.test("parseProxyHeader() reads v1 UNKNOWN with or without trailing fields", () => {
  for (const text of ["PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f...f:ffff 1.2.3.4 99999 x\r\n"]) {
    const result = parseProxyHeader(enc.encode(text));
    assert(result.done, text);
    assertEquals(result.header, {
      version: 1,
      command: "proxy",
      family: "unknown",
      length: text.length,
    });
  }
});

Deno.test("parseProxyHeader() accepts a v1 header of exactly 107 bytes and refuses 108", () => {
  // The longest legal header per the specification: TCP6 with two full-length addresses.
  const longest = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff " +
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
  assertEquals(longest.length, 104);
  const unknown107 = "PROXY UNKNOWN " + "x".repeat(PROXY_V1_MAX_LENGTH - 16) + "\r\n";
  assertEquals(unknown107.length, 107);
  assert(parseProxyHeader(enc.encode(longest)).done);
  assert(parseProxyHeader(enc.encode(unknown107)).done);
  const unknown108 = "PROXY UNKNOWN " + "x".repeat(PROXY_V1_MAX_LENGTH - 15) + "\r\n";
  assertThrows(() => parseProxyHeader(enc.encode(unknown108)), ProxyProtocolError, "no CRLF");
  // Without a line end: 106 bytes may still grow, 107 cannot.
  assertEquals(parseProxyHeader(enc.encode(unknown107.slice(0, 106))).done, false);
  assertThrows(
    () => parseProxyHeader(enc.encode(unknown107.slice(0, 105) + "xx")),
    ProxyProtocolError,
    "within 107 bytes",
  );
});

Deno.test("parseProxyHeader() needs more bytes for every proper prefix of a v1 header", () => {
  const text = "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n";
  const bytes = enc.encode(text);
  for (let n = 0; n < bytes.length; n++) {
    assertEquals(parseProxyHeader(bytes.subarray(0, n)).done, false, `prefix of ${n} bytes`);
  }
  assert(parseProxyHeader(bytes).done);
});

Deno.test("parseProxyHeader() refuses malformed v1 headers with a reason", () => {
  const cases: [string, string][] = [
    ["PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 'protocol "TCP5"'],
    ["PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 'protocol ""'],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "3 fields"],
    ["PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "fields"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "fields"],
    ["PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", 'invalid source address "1.2.3.256"'],
    ["PROXY TCP4 1.2.3.4 05.6.7.8 1 2\r\n", "invalid destination address"],
    ["PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "invalid source address"],
    ["PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "invalid source address"],
    ["PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n", "invalid destination address"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 'invalid port "65536"'],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", 'invalid port "01"'],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", 'invalid port "-2"'],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "bare LF"],
    ["PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n", "CR not followed by LF"],
    ["PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "non-printable byte 0x09"],
    ["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x00\r\n", "non-printable byte 0x00"],
    ["PROXY \r\n", 'protocol ""'],
    ["proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "0x70"],
    ["GET / HTTP/1.0\r\n", "0x47"],
  ];
  for (const [text, reason] of cases) {
    assertThrows(() => parseProxyHeader(enc.encode(text)), ProxyProtocolError, reason);
  }
  assertThrows(() => parseProxyHeader(new Uint8Array(TLS_HELLO)), ProxyProtocolError, "0x16");
});

Deno.test("isIPv4() and isIPv6() accept canonical forms and refuse the rest", () => {
  for (const ok of ["0.0.0.0", "255.255.255.255", "10.0.0.1"]) assert(isIPv4(ok), ok);
  for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "a.b.c.d", ""]) {
    assert(!isIPv4(bad), bad);
  }
  for (
    const ok of [
      "::",
      "::1",
      "1::",
      "2001:db8::8:800:200c:417a",
      "1:2:3:4:5:6:7:8",
      "::ffff:192.0.2.1",
      "1:2:3:4:5:6:1.2.3.4",
      "FFFF::",
    ]
  ) assert(isIPv6(ok), ok);
  for (
    const bad of [
      ":",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7::8",
      "::1.2.3.256",
      "g::",
      ":1",
      "1:",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7:1.2.3.4",
    ]
  ) assert(!isIPv6(bad), bad);
});

// ---------------------------------------------------------------------------------------
// version 2

const V4_BODY = [192, 0, 2, 1, 198, 51, 100, 2, 0xc7, 0x38, 0x07, 0xad];

Deno.test("parseProxyHeader() reads a v2 PROXY TCP over IPv4 header", () => {
  const header = v2(0x21, 0x11, V4_BODY);
  const result = parseProxyHeader(concat(header, TLS_HELLO));
  assert(result.done);
  assertEquals(result.header, {
    version: 2,
    command: "proxy",
    family: "tcp4",
    source: { hostname: "192.0.2.1", port: 51000 },
    destination: { hostname: "198.51.100.2", port: 1965 },
    length: 28,
  });
  assertEquals(Array.from(result.rest), TLS_HELLO);
});

Deno.test("parseProxyHeader() reads a v2 IPv6 header and formats addresses canonically", () => {
  const src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  const dst = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
  const result = parseProxyHeader(v2(0x21, 0x21, [...src, ...dst, 0, 80, 0x07, 0xad]));
  assert(result.done);
  assertEquals(result.header.source, { hostname: "2001:db8::1", port: 80 });
  assertEquals(result.header.destination, { hostname: "::ffff:127.0.0.1", port: 1965 });
});

Deno.test("parseProxyHeader() skips v2 TLVs after the addresses", () => {
  const tlvs = [0x02, 0x00, 0x03, 0x61, 0x62, 0x63, 0x04, 0x00, 0x00];
  const result = parseProxyHeader(concat(v2(0x21, 0x11, [...V4_BODY, ...tlvs]), [0x16]));
  assert(result.done);
  assertEquals(result.header.length, 16 + 12 + tlvs.length);
  assertEquals(result.header.source?.hostname, "192.0.2.1");
  assertEquals(Array.from(result.rest), [0x16]);
});

Deno.test("parseProxyHeader() v2 LOCAL, AF_UNSPEC and AF_UNIX carry no client address", () => {
  const local = parseProxyHeader(v2(0x20, 0x11, V4_BODY));
  assert(local.done);
  assertEquals(local.header, { version: 2, command: "local", family: "unknown", length: 28 });
  const localEmpty = parseProxyHeader(v2(0x20, 0x00, []));
  assert(localEmpty.done);
  assertEquals(localEmpty.header.length, 16);
  const unspec = parseProxyHeader(v2(0x21, 0x00, []));
  assert(unspec.done);
  assertEquals(unspec.header, { version: 2, command: "proxy", family: "unknown", length: 16 });
  const unix = parseProxyHeader(v2(0x21, 0x31, new Uint8Array(216)));
  assert(unix.done);
  assertEquals(unix.header.family, "unix");
  assertEquals(unix.header.source, undefined);
});

Deno.test("parseProxyHeader() needs more bytes for every proper prefix of a v2 header", () => {
  const bytes = v2(0x21, 0x11, [...V4_BODY, 0x04, 0x00, 0x01, 0xff]);
  for (let n = 0; n < bytes.length; n++) {
    assertEquals(parseProxyHeader(bytes.subarray(0, n)).done, false, `prefix of ${n} bytes`);
  }
  assert(parseProxyHeader(bytes).done);
});

Deno.test("parseProxyHeader() caps a v2 header at maxV2Length exactly", () => {
  const body = new Uint8Array(1024 - 16);
  body.set(V4_BODY);
  const at1024 = v2(0x21, 0x11, body);
  assert(parseProxyHeader(at1024).done);
  const over = v2(0x21, 0x11, new Uint8Array(1024 - 15));
  // Refused from its fixed part alone, before the body arrives.
  assertThrows(
    () => parseProxyHeader(over.subarray(0, 16)),
    ProxyProtocolError,
    "1025 bytes, more than the limit of 1024",
  );
  assert(parseProxyHeader(over, { maxV2Length: 1025 }).done);
  // The largest declared length (65535) is refused too, not awaited.
  assertThrows(
    () => parseProxyHeader(concat(PROXY_V2_SIGNATURE, [0x21, 0x11, 0xff, 0xff])),
    ProxyProtocolError,
    "65551 bytes",
  );
});

Deno.test("parseProxyHeader() refuses malformed v2 headers with a reason", () => {
  const cases: [Uint8Array, string][] = [
    [v2(0x11, 0x11, V4_BODY), "version 1 in its version byte"],
    [v2(0x31, 0x11, V4_BODY), "version 3"],
    [v2(0x22, 0x11, V4_BODY), "unknown command 2"],
    [v2(0x21, 0x41, V4_BODY), "unknown address family 4"],
    [v2(0x21, 0x13, V4_BODY), "unknown transport protocol 3"],
    [v2(0x21, 0x11, V4_BODY.slice(0, 11)), "11 address bytes, too few for its family (needs 12)"],
    [v2(0x21, 0x21, new Uint8Array(35)), "needs 36"],
    [v2(0x21, 0x31, new Uint8Array(215)), "needs 216"],
    [v2(0x21, 0x12, V4_BODY), "datagram"],
    // Refused as soon as the offending byte arrives.
    [concat(PROXY_V2_SIGNATURE, [0x13]), "version 1"],
    [concat(PROXY_V2_SIGNATURE, [0x21, 0x51]), "family 5"],
    [concat(PROXY_V2_SIGNATURE.subarray(0, 11), [0x0b]), "0x0d"],
  ];
  for (const [bytes, reason] of cases) {
    assertThrows(() => parseProxyHeader(bytes), ProxyProtocolError, reason);
  }
});

Deno.test("detectProxyHeader() tells v1, v2, other and undecided apart", () => {
  assertEquals(detectProxyHeader(new Uint8Array()), "undecided");
  assertEquals(detectProxyHeader(enc.encode("PROXY")), "undecided");
  assertEquals(detectProxyHeader(enc.encode("PROXY ")), "v1");
  assertEquals(detectProxyHeader(PROXY_V2_SIGNATURE.subarray(0, 11)), "undecided");
  assertEquals(detectProxyHeader(PROXY_V2_SIGNATURE), "v2");
  assertEquals(detectProxyHeader(new Uint8Array([0x16])), "none");
  assertEquals(detectProxyHeader(enc.encode("PROXx")), "none");
});

Deno.test("formatIpBytes() writes IPv6 in RFC 5952 forms", () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0], "::"],
    [[0, 0, 0, 0, 0, 0, 0, 1], "::1"],
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"],
    [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"],
    [[1, 0, 0, 0, 0, 0, 0, 0], "1::"],
  ];
  for (const [groups, text] of cases) {
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[2 * i] = g >> 8;
      bytes[2 * i + 1] = g & 0xff;
    });
    assertEquals(formatIpBytes(bytes), text);
  }
});

Deno.test("formatProxyHeader() output parses back to the same addresses (v1 and v2)", () => {
  const pairs = [
    [{ hostname: "127.0.0.1", port: 1 }, { hostname: "10.0.0.2", port: 1965 }],
    [{ hostname: "2001:db8::1", port: 65535 }, { hostname: "::1", port: 0 }],
  ];
  for (const version of [1, 2] as const) {
    for (const [source, destination] of pairs) {
      const result = parseProxyHeader(formatProxyHeader(version, source, destination));
      assert(result.done);
      assertEquals(result.header.source, source);
      assertEquals(result.header.destination, destination);
    }
    const unknown = parseProxyHeader(formatProxyHeader(version));
    assert(unknown.done);
    assertEquals(unknown.header.source, undefined);
  }
});

// ---------------------------------------------------------------------------------------
// properties

function onlyProxyErrors(bytes: Uint8Array): void {
  try {
    const result = parseProxyHeader(bytes);
    if (result.done) {
      assert(result.header.length <= bytes.length);
      assertEquals(result.rest.length, bytes.length - result.header.length);
    }
  } catch (error) {
    if (!(error instanceof ProxyProtocolError)) throw error;
  }
}

Deno.test("parseProxyHeader() throws nothing but ProxyProtocolError on arbitrary bytes", () => {
  const v1Prefix = fc.constantFrom(
    enc.encode("PROXY "),
    enc.encode("PROXY TCP4 "),
    new Uint8Array(),
  );
  fc.assert(
    fc.property(v1Prefix, fc.uint8Array({ maxLength: 200 }), (prefix, tail) => {
      onlyProxyErrors(concat(prefix, tail));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
      onlyProxyErrors(concat(PROXY_V2_SIGNATURE, tail));
    }),
    { numRuns: 2000 },
  );
  const ascii = fc.string({ unit: fc.constantFrom(..."PROXY TCP46UNKOW0123456789.:abcdef\r\n") });
  fc.assert(
    fc.property(ascii, (text) => onlyProxyErrors(enc.encode("PROXY " + text))),
    { numRuns: 2000 },
  );
});

Deno.test("parseProxyHeader() gives the same answer however the bytes are split", () => {
  const source = fc.oneof(
    fc.ipV4().map((hostname) => ({ hostname })),
    fc.ipV6().map((hostname) => ({ hostname })),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(1 as const, 2 as const),
      source,
      fc.integer({ min: 0, max: 65535 }),
      fc.uint8Array({ maxLength: 20 }),
      fc.integer({ min: 0, max: 200 }),
      (version, { hostname }, port, tail, cut) => {
        const destination = hostname.includes(":") ? "::1" : "127.0.0.1";
        const bytes = concat(
          formatProxyHeader(version, { hostname, port }, { hostname: destination, port: 1965 }),
          tail,
        );
        const whole = parseProxyHeader(bytes);
        assert(whole.done);
        assertEquals(whole.header.source?.port, port);
        assertEquals(Array.from(whole.rest), Array.from(tail));
        const at = Math.min(cut, whole.header.length - 1);
        assertEquals(parseProxyHeader(bytes.subarray(0, at)).done, false);
      },
    ),
    { numRuns: 1000 },
  );
});
