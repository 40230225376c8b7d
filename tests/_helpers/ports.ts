/**
 * A loopback port for a peer program that must be told its port in a config file
 * (molly-brown, HAProxy), where the usual `port: 0` cannot be used.
 *
 * Asking the kernel for port 0, closing it and handing the number on leaves a window in
 * which any other socket of the machine (a listener on port 0 or the source port of an
 * outgoing connection, from this test run or from another one) may be given the same
 * number. This picks a free port below the kernel's ephemeral range instead, which the
 * kernel never hands out on its own, so only another program that also picks a fixed port
 * can collide; a random choice makes that unlikely.
 */

/** The kernel's ephemeral port range on Linux; a common default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
    const [low, high] = text.trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) return [low, high];
  } catch {
    // not Linux, or /proc is not mounted
  }
  return [32768, 60999];
}

function bindable(port: number): boolean {
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
    return true;
  } catch {
    return false;
  }
}

/** A port on 127.0.0.1 that is free now and that the kernel does not hand out for port 0. */
export function peerPort(): number {
  const [low, high] = ephemeralRange();
  // Ports 10000..low-1, else (an unusually wide ephemeral range) above it.
  const ranges: [number, number][] = [];
  if (low - 1 >= 10_000 + 100) ranges.push([10_000, low - 1]);
  if (65_535 - (high + 1) >= 100) ranges.push([high + 1, 65_535]);
  for (const [from, to] of ranges) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = from + Math.floor(Math.random() * (to - from + 1));
      if (bindable(port)) return port;
    }
  }
  // No room outside the ephemeral range: fall back to a kernel-chosen port.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
