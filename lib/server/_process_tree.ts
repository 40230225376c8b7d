/**
 * Ending a program and everything it started: its process group, its descendants found
 * under /proc, and (Linux) every process whose environment carries a marker entry, which
 * also finds descendants that left the group (`setsid`, a daemon's double fork). Internal
 * to the server (CGI). A worker without the permission to signal other processes hands the
 * kill to its supervisor ({@linkcode _setRunKiller}, {@linkcode _killRunChecked}).
 *
 * @module
 */

/** What it takes to end one CGI run: its program's PID and the run's environment mark. */
export interface _RunKill {
  /** PID of the program the server started. */
  pid: number;
  /** Whether the program leads a process group (and session) of its own. */
  ownGroup: boolean;
  /** The variable that marks every process of the run. */
  variable: string;
  /** Its value, unique to the run. */
  value: string;
}

/** Ends a run; see {@linkcode _setRunKiller}. */
export type _RunKiller = (run: _RunKill) => void;

/**
 * Signals the process tree and the marked processes of a run from here. Needs Deno's
 * unrestricted `run` permission (`Deno.kill` asks for it).
 */
function killHere(run: _RunKill): void {
  _killProcessTree(run.pid, run.ownGroup);
  void _killMarked(run.variable, run.value);
}

let runKiller: _RunKiller = killHere;

/**
 * Replaces how a CGI run is ended: a serve worker whose `run` permission lists only the
 * CGI programs cannot call `Deno.kill`, so it hands the kill to its supervisor. `undefined`
 * restores the default (signal from this thread).
 */
export function _setRunKiller(killer: _RunKiller | undefined): void {
  runKiller = killer ?? killHere;
}

/** Ends a run with the current killer. */
export function _killRun(run: _RunKill): void {
  runKiller(run);
}

/**
 * Ends a run on behalf of a worker, checking first that the request names a run of this
 * process: the program must be a child of this process (its group and descendants are
 * then killed), and only processes carrying the run's mark with a value in the form the
 * server makes (a UUID) are killed by it. Anything else is ignored, so a worker cannot have
 * other processes signalled. Where /proc cannot be read (not Linux, or a process without
 * `--allow-all`, which Deno 2.9.6 wants for /proc) the program and its group are signalled
 * unchecked, as {@linkcode killHere} would, and marked processes cannot be found.
 */
export function _killRunChecked(run: _RunKill): void {
  if (!Number.isInteger(run.pid) || run.pid <= 1 || run.pid === Deno.pid) return;
  const parent = Deno.build.os === "linux" ? parentOf(run.pid) : "unknown";
  if (parent === Deno.pid || parent === "unknown") _killProcessTree(run.pid, run.ownGroup);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  if (/^[A-Z_][A-Z0-9_]*$/.test(run.variable) && uuid.test(run.value)) {
    void _killMarked(run.variable, run.value);
  }
}

/**
 * The parent PID of `pid` (Linux, from /proc), `undefined` when there is no such process,
 * or `"unknown"` when /proc may not be read (Deno 2.9.6 reads /proc only with
 * `--allow-all`).
 */
function parentOf(pid: number): number | "unknown" | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // pid (comm) state ppid ...; comm may hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch (error) {
    return error instanceof Deno.errors.NotCapable ? "unknown" : undefined;
  }
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
