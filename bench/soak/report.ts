/**
 * The soak benchmark's figures: one row per backend and attack, the targets each row is
 * held to, and the markdown table and page (bench/SOAK.md) that show them.
 *
 * @module
 */

import type { ProbeReport } from "./probe.ts";

/** The targets of issue 11, per backend and attack. */
export const TARGETS = {
  /** Resident memory after the attack (and the wait) at most start + this, MiB. */
  afterMiB: 30,
  /** Resident memory during the attack at most start + this, MiB. */
  peakMiB: 200,
  /** Every probe request answered with a complete `20` within this, ms. */
  probeDeadlineMs: 2_000,
} as const;

/** What was measured for one attack on one backend. */
export interface SoakRow {
  /** TLS backend. */
  backend: string;
  /** Attack name. */
  attack: string;
  /** What the attack sent, short (for the table). */
  load: string;
  /** What the attack did, in full (for the details). */
  summary: string;
  /** Server RSS just before the attack, KiB (summed over its process tree). */
  startKiB: number;
  /** Largest RSS sampled from the start of the attack to the after-sample, KiB. */
  peakKiB: number;
  /** RSS `afterMs` after the attack ended, KiB. */
  afterKiB: number;
  /** Time between the end of the attack and the after-sample, ms. */
  afterMs: number;
  /** Error-log lines announcing a worker recycle, during the attack and the wait. */
  recycles: string[];
  /** What the normal client saw during the attack and the wait. */
  probe: ProbeReport;
  /** The server was running at the end and answered a last request with `20`. */
  alive: boolean;
  /** Why the attack itself did not finish, if it did not. */
  attackError?: string;
  /** Notes: a restart before this attack, the server's last log lines after a crash. */
  notes: string[];
}

/** The targets a row missed (empty when it met them all). */
export function missedTargets(row: SoakRow): string[] {
  const missed: string[] = [];
  const mib = (kib: number): number => kib / 1024;
  if (mib(row.afterKiB - row.startKiB) > TARGETS.afterMiB) missed.push("after");
  if (mib(row.peakKiB - row.startKiB) > TARGETS.peakMiB) missed.push("peak");
  if (row.probe.requests === 0 || row.probe.ok < row.probe.requests) missed.push("served");
  if (!row.alive) missed.push("crash");
  return missed;
}

/** `PASS`, or `FAIL (…)` with the targets missed. */
export function verdict(row: SoakRow): string {
  const missed = missedTargets(row);
  return missed.length === 0 ? "PASS" : `FAIL (${missed.join(", ")})`;
}

function mib(kib: number): string {
  return (kib / 1024).toFixed(0);
}

function delta(kib: number, base: number): string {
  const d = Math.round((kib - base) / 1024);
  return `${mib(kib)} (${d >= 0 ? "+" : "−"}${Math.abs(d)})`;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A markdown table with `header` and `rows`, columns padded to equal widths. */
export function markdownTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((r) => r.map(cell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => [...(r[i] ?? "")].length)));
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join(" | ")} |`;
  return [
    line(all[0]),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...all.slice(1).map(line),
  ].join("\n");
}

/** The results table: one line per backend and attack. */
export function soakTable(rows: SoakRow[]): string {
  const afterS = rows.length > 0 ? Math.round(rows[0].afterMs / 1000) : 10;
  return markdownTable(
    [
      "backend",
      "attack",
      "load",
      "RSS start MiB",
      "peak MiB (Δ)",
      `${afterS} s after MiB (Δ)`,
      "recycles",
      "normal client: 20 in 2 s",
      "alive",
      "result",
    ],
    rows.map((r) => [
      r.backend,
      r.attack,
      r.load,
      mib(r.startKiB),
      delta(r.peakKiB, r.startKiB),
      delta(r.afterKiB, r.startKiB),
      String(r.recycles.length),
      `${r.probe.ok}/${r.probe.requests}, worst ${r.probe.worstMs.toFixed(0)} ms`,
      r.alive ? "yes" : "NO",
      verdict(r),
    ]),
  );
}

/** Where and how a run happened, for the page's header. */
export interface RunInfo {
  /** ISO date and time of the start. */
  date: string;
  /** Machine description lines (CPU, memory, kernel, load). */
  machine: string[];
  /** `deno --version`, first line. */
  deno: string;
  /** The command that ran the soak. */
  command: string;
  /** The server command per backend. */
  servers: string[];
  /** The code measured (commit, branch). */
  code: string;
  /** Scale of durations and counts. */
  scale: number;
  /** Wall time of the whole run, s. */
  elapsedS: number;
}

/** Everything from this heading on in SOAK.md is kept when the file is rewritten. */
export const NOTES_HEADING = "## Notes";

/** The bench/SOAK.md page: header, targets, table, details, and the kept notes. */
export function soakPage(info: RunInfo, rows: SoakRow[], notes = ""): string {
  const passed = rows.filter((r) => missedTargets(r).length === 0).length;
  const details = rows.map((r) => {
    const lines = [`- **${r.backend} / ${r.attack}**: ${r.summary}.`];
    if (r.attackError) lines.push(`  The attack did not finish: ${r.attackError}`);
    for (const f of r.probe.failures) lines.push(`  Normal client failure ${f}.`);
    for (const line of r.recycles) lines.push(`  Recycle: \`${line}\``);
    for (const n of r.notes) lines.push(`  ${n}`);
    return lines.join("\n");
  });
  return [
    "# Soak benchmark",
    "",
    "Written by `make soak` (bench/soak.ts). It runs `gemini serve` as a user runs it (a child",
    "process, the configuration of `gemini serve DIR` with only `backend` set, 127.0.0.1, a 1 KiB",
    "home page) once per TLS backend and attacks it on loopback, one attack after the other",
    "(bench/soak/attacks.ts). For each attack it reports the resident memory of the server's",
    "process tree (from /proc) just before, the peak while the attack ran and until the",
    "after-sample, and the after-sample taken after the attack ended; the error-log lines",
    "that announce a worker recycle; and what a normal client saw: a request for the home page",
    "every 250 ms (from source addresses of its own) during the attack and the wait, each of",
    "which must get a complete `20` within 2 s.",
    "",
    `Targets: RSS after within start + ${TARGETS.afterMiB} MiB (\`after\`); peak at most start + ${TARGETS.peakMiB} MiB`,
    "(`peak`); every normal request served (`served`); the server alive and answering at the end",
    "(`crash`).",
    "",
    "## Run",
    "",
    `- Date: ${info.date}`,
    ...info.machine.map((m) => `- ${m}`),
    `- Deno: ${info.deno}`,
    `- Code: ${info.code}`,
    `- Scale: ${info.scale}${info.scale === 1 ? " (the full soak)" : " (a shortened run)"}`,
    `- Wall time: ${Math.round(info.elapsedS)} s`,
    "",
    "```sh",
    info.command,
    ...info.servers,
    "```",
    "",
    "## Results",
    "",
    soakTable(rows),
    "",
    `${passed} of ${rows.length} rows meet every target.`,
    "",
    "## Details",
    "",
    ...details,
    "",
    notes.trim() === "" ? "" : notes.trimEnd() + "\n",
  ].join("\n").replace(/\n+$/, "\n");
}
