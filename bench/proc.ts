/**
 * CPU time and memory of a process tree, read from Linux /proc: the figures the server
 * benchmark reports per request. A process's CPU time is utime + stime of
 * /proc/PID/stat (all its threads) plus cutime + cstime (children it has reaped); the
 * tree is the PID and its descendants, found through /proc/PID/task/TID/children.
 *
 * @module
 */

/** One reading of a process tree. */
export interface TreeSample {
  /** PIDs in the tree (the root first). */
  pids: number[];
  /** CPU time of the tree so far, microseconds (clock-tick resolution). */
  cpuMicros: number;
  /** Resident memory now, summed over the tree, KiB (VmRSS). */
  rssKiB: number;
  /** Peak resident memory, summed over the tree's processes, KiB (VmHWM). */
  hwmKiB: number;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`; 100 when getconf is missing). */
export function clockTicks(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  ticksPerSecond = 100;
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped", stderr: "null" })
      .outputSync();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    if (out.success && Number.isInteger(n) && n > 0) ticksPerSecond = n;
  } catch {
    // keep the Linux default
  }
  return ticksPerSecond;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined; // the process exited between listing and reading
  }
}

/** The PID and all its descendants (children of every thread, recursively). */
export function processTree(root: number, limit = 4096): number[] {
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0 && seen.size < limit) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const children = readText(`/proc/${pid}/task/${tid}/children`) ?? "";
      for (const word of children.split(/\s+/)) {
        const child = Number(word);
        if (word !== "" && Number.isInteger(child) && !seen.has(child)) queue.push(child);
      }
    }
  }
  return [...seen];
}

/** utime + stime + cutime + cstime of one process, in clock ticks; 0 when it is gone. */
export function processTicks(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
  return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
}

function statusKiB(pid: number, key: string): number {
  const status = readText(`/proc/${pid}/status`) ?? "";
  const match = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) : 0;
}

/** Reads CPU time and memory of the tree rooted at `root`. */
export function sampleTree(root: number): TreeSample {
  const pids = processTree(root);
  let ticks = 0;
  let rssKiB = 0;
  let hwmKiB = 0;
  for (const pid of pids) {
    ticks += processTicks(pid);
    rssKiB += statusKiB(pid, "VmRSS");
    hwmKiB += statusKiB(pid, "VmHWM");
  }
  return { pids, cpuMicros: (ticks * 1e6) / clockTicks(), rssKiB, hwmKiB };
}

/** What a {@linkcode TreeMonitor} measured between start and stop. */
export interface TreeUsage {
  /** CPU time the tree used in the interval, microseconds. */
  cpuMicros: number;
  /** Largest summed VmRSS seen while sampling, KiB. */
  peakRssKiB: number;
  /** Summed VmHWM at the end (peak since each process started), KiB. */
  hwmKiB: number;
  /** Processes in the tree at the end. */
  processes: number;
}

/** Samples a process tree every `intervalMs` between {@linkcode start} and {@linkcode stop}. */
export class TreeMonitor {
  #root: number;
  #intervalMs: number;
  #startCpu = 0;
  #peakRss = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Monitors the tree rooted at `root`. */
  constructor(root: number, intervalMs = 100) {
    this.#root = root;
    this.#intervalMs = intervalMs;
  }

  /** Starts the interval: records the tree's CPU time so far. */
  start(): void {
    const first = sampleTree(this.#root);
    this.#startCpu = first.cpuMicros;
    this.#peakRss = first.rssKiB;
    this.#timer = setInterval(() => {
      this.#peakRss = Math.max(this.#peakRss, sampleTree(this.#root).rssKiB);
    }, this.#intervalMs);
  }

  /** Ends the interval and returns what the tree used in it. */
  stop(): TreeUsage {
    clearInterval(this.#timer);
    const last = sampleTree(this.#root);
    this.#peakRss = Math.max(this.#peakRss, last.rssKiB);
    return {
      cpuMicros: last.cpuMicros - this.#startCpu,
      peakRssKiB: this.#peakRss,
      hwmKiB: last.hwmKiB,
      processes: last.pids.length,
    };
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a server started next). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
