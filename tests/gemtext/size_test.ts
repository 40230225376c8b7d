/**
 * `formatSize()`, the one byte-size formatter (directory listings, get's progress, browse's
 * downloads): every unit boundary, and the same text as the directory listing's formatter.
 */

import fc from "fast-check";
import { assertEquals } from "../_helpers/assert.ts";
import { formatSize } from "../../lib/gemtext/size.ts";
import { formatSize as listingSize } from "../../lib/server/static.ts";

Deno.test("formatSize() at every unit boundary", () => {
  const table: [number, string][] = [
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [1024 ** 2 - 1, "1024.0 KiB"],
    [1024 ** 2, "1.0 MiB"],
    [10 * 1024 ** 2, "10.0 MiB"],
    [1024 ** 3 - 1, "1024.0 MiB"],
    [1024 ** 3, "1.0 GiB"],
    [1024 ** 4, "1.0 TiB"],
    [1024 ** 5, "1024.0 TiB"],
    [1024 ** 6, "1048576.0 TiB"],
  ];
  for (const [bytes, text] of table) assertEquals(formatSize(bytes), text, String(bytes));
});

Deno.test("formatSize() writes what the directory listing has always written (property)", () => {
  fc.assert(
    fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), (bytes) => {
      assertEquals(formatSize(bytes), listingSize(bytes));
    }),
    { numRuns: 1000 },
  );
});
