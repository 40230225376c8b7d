/**
 * Ending a program and everything it started: its process group, its descendants found
 * under /proc, and (Linux) every process whose environment carries a marker entry, which
 * also finds descendants that left the group (`setsid`, a daemon's double fork). Internal
 * to the server (CGI).
 *
 * @module
 */

/** The `setsid` program, looked up once (`null` when there is none). */
let setsidPath: string | null | undefined;

/** The path of `setsid`, to start a program in a session (and process group) of its own. */
export function _findSetsid(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  setsidPath = null;
  if (Deno.build.os === "windows") return setsidPath;
  for (const candidate of ["/usr/bin/setsid", "/bin/setsid", "/usr/local/bin/setsid"]) {
    try {
      if (Deno.statSync(candidate).isFile) {
        setsidPath = candidate;
        break;
      }
    } catch {
      // not here
    }
  }
  return setsidPath;
}

/** Processes looked at, at most, when searching /proc. */
const MAX_PROCESSES = 65_536;

function descendantsOf(pid: number): number[] {
  if (Deno.build.os !== "linux") return [];
  const found: number[] = [];
  const queue = [pid];
  // Bounded walk: a CGI program does not start thousands of processes.
  while (queue.length > 0 && found.length < 4096) {
    const parent = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${parent}/task`)].map((e) => e.name);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let text = "";
      try {
        text = Deno.readTextFileSync(`/proc/${parent}/task/${task}/children`);
      } catch {
        continue;
      }
      for (const child of text.trim().split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child)) {
          found.push(child);
          queue.push(child);
        }
      }
    }
  }
  return found;
}

function sigkill(target: number): void {
  try {
    Deno.kill(target, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Kills a process we started and everything it started that is still attached: its process
 * group (when it was started in its own session) and every descendant found under /proc.
 */
export function _killProcessTree(pid: number, ownGroup: boolean): void {
  const descendants = descendantsOf(pid);
  if (ownGroup) sigkill(-pid);
  sigkill(pid);
  for (const child of descendants) sigkill(child);
}

/**
 * Kills every process (but this one) whose environment holds `variable=value`: the
 * descendants of a CGI run that left its process group. Linux only; looks at no more than
 * {@linkcode MAX_PROCESSES} processes. Resolves with the number of processes signalled.
 */
export async function _killMarked(variable: string, value: string): Promise<number> {
  if (Deno.build.os !== "linux") return 0;
  const needle = new TextEncoder().encode(`${variable}=${value}\0`);
  let seen = 0;
  let killed = 0;
  try {
    for await (const entry of Deno.readDir("/proc")) {
      if (++seen > MAX_PROCESSES) break;
      if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
      let environ: Uint8Array;
      try {
        environ = await Deno.readFile(`/proc/${entry.name}/environ`);
      } catch {
        continue; // gone, or not ours to read
      }
      if (holdsEntry(environ, needle)) {
        sigkill(Number(entry.name));
        killed++;
      }
    }
  } catch {
    // no /proc
  }
  return killed;
}

/** Whether `environ` (NUL-separated `NAME=value` entries) holds the entry `needle` (with its NUL). */
function holdsEntry(environ: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let at = 0; at + needle.length <= environ.length; at++) {
    if (at > 0 && environ[at - 1] !== 0) continue;
    for (let i = 0; i < needle.length; i++) if (environ[at + i] !== needle[i]) continue outer;
    return true;
  }
  return false;
}
