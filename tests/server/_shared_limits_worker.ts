/**
 * A Web Worker for shared_limits_test.ts: attaches to the posted table and takes `count`
 * request tokens for one IP, then reports how many were granted.
 */

import { type SharedLimitOptions, SharedLimitTable } from "../../lib/server/shared_limits.ts";

interface Job {
  buffer: SharedArrayBuffer;
  options: SharedLimitOptions;
  ip: string;
  count: number;
}

self.addEventListener("message", (event: Event): void => {
  const { buffer, options, ip, count } = (event as MessageEvent<Job>).data;
  const table = SharedLimitTable.attach(buffer, options);
  let granted = 0;
  let admitted = 0;
  for (let i = 0; i < count; i++) {
    if (table.takeRequest(ip) === 0) granted++;
    if (table.open(ip) === undefined) admitted++;
  }
  (self as unknown as Worker).postMessage({ granted, admitted });
});
