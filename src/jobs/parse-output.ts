// Job output → what happened: per step exit codes and output, the final
// status, the site's inventory afterwards and the audit findings. Garbled
// or truncated output is a failed result with a reason, never an exception.
import type { AuditFinding } from '../observed/types.js';
import { withDepends, type ListedPackage } from '../observed/inventory.js';
import { parsePkgInfo, parsePkgInfoDepends, type PkgInfoEntry } from '../pkgsrc/pkg-info.js';
import type { JobStatus } from './job-spec.js';

export interface StepResult {
  label: string;
  /** Undefined when the step began but never ended (killed or truncated). */
  rc?: number;
  output: string[];
}

export interface JobOutput {
  /** The job's own verdict, or undefined when its output ends early. */
  status?: JobStatus | 'killed';
  steps: StepResult[];
  /**
   * The site's packages after the job, when the inventory steps completed;
   * each with its DEPENDS when the job listed them (`pkg_info -n -a`).
   */
  inventory?: ListedPackage[];
  userInstalled?: PkgInfoEntry[];
  pkgToolsVersion?: string;
  audit: AuditFinding[];
  /** Lock events worth reporting (a stale lock broken, who holds a busy one). */
  notes: string[];
  /** Why the output cannot be trusted, if it cannot. */
  problem?: string;
}

const STATUSES = new Set(['ok', 'failed', 'unusable', 'stale', 'busy']);

export function parseJobOutput(text: string, nonce: string): JobOutput {
  const mark = `@@vo:${nonce} `;
  const out: JobOutput = { steps: [], audit: [], notes: [] };
  let current: StepResult | undefined;
  let started = false;
  let inWarnings = false;
  const lines = text.split('\n');
  // A framing line cut short (output truncated mid-line) says nothing for sure: it is not a mark.
  if (lines[lines.length - 1]!.startsWith(mark)) lines.pop();
  for (const line of lines) {
    if (!line.startsWith(mark)) {
      if (inWarnings) out.notes.push(`warning: ${line}`);
      else current?.output.push(line);
      continue;
    }
    const [event, ...rest] = line.slice(mark.length).split(' ');
    const arg = rest.join(' ');
    if (event === 'warnings' || event === 'end-warnings') {
      inWarnings = event === 'warnings';
      continue;
    }
    if (event === 'start') started = true;
    else if (event === 'begin') out.steps.push((current = { label: arg, output: [] }));
    else if (event === 'end') current = endStep(current, arg, out);
    else if (event === 'done') out.status = STATUSES.has(arg) ? (arg as JobStatus) : out.status;
    else if (event === 'killed') out.status = 'killed';
    else if (event === 'stale-lock' || event === 'busy') out.notes.push(`${event} ${arg}`);
  }
  if (!started) out.problem = 'no output from the job script (it never started, or its output was lost)';
  else if (out.status === undefined) out.problem = truncation(out.steps);
  else if (out.status === 'killed') out.problem = `the job was killed${lastLabel(out.steps)}`;
  if (!out.problem) readInventory(out);
  return out;
}

function endStep(current: StepResult | undefined, arg: string, out: JobOutput): StepResult | undefined {
  const cut = arg.lastIndexOf(' ');
  const label = arg.slice(0, cut);
  const rc = Number(arg.slice(cut + 1));
  if (!current || current.label !== label || !Number.isInteger(rc)) {
    out.problem ??= `garbled job output: end of '${label}' does not match the step that began`;
    return undefined;
  }
  current.rc = rc;
  if (current.output[current.output.length - 1] === '') current.output.pop();
  return undefined;
}

function truncation(steps: StepResult[]): string {
  const open = steps.find((s) => s.rc === undefined);
  if (open) return `job output ends inside step '${open.label}' (killed, timed out or truncated)`;
  return `job output ends after step '${steps[steps.length - 1]?.label ?? 'start'}' without a final status (truncated)`;
}

function lastLabel(steps: StepResult[]): string {
  const s = steps[steps.length - 1];
  return s ? ` during '${s.label}'` : '';
}

function readInventory(out: JobOutput): void {
  const step = (label: string) => out.steps.find((s) => s.label === label && s.rc === 0);
  const version = step('version');
  if (version) out.pkgToolsVersion = version.output.join('\n').trim() || undefined;
  const audit = out.steps.find((s) => s.label === 'audit');
  if (audit) out.audit = parseAudit(audit.output);
  const inv = step('inventory');
  const user = step('inventory-u');
  const deps = step('inventory-n');
  try {
    const depends = deps
      ? parsePkgInfoDepends(deps.output.join('\n'), { file: 'job output (pkg_info -n)' })
      : undefined;
    if (inv)
      out.inventory = withDepends(parsePkgInfo(inv.output.join('\n'), { file: 'job output (pkg_info)' }), depends);
    if (user) out.userInstalled = parsePkgInfo(user.output.join('\n'), { file: 'job output (pkg_info -u)' });
  } catch (e) {
    out.problem = `the site's package listing in the job output is unreadable: ${(e as Error).message.split('\n')[0]}`;
    delete out.inventory;
    delete out.userInstalled;
  }
}

const AUDIT_LINE = /^Package (\S+) has (?:an? (.+?) vulnerability|reached end-of-life \((eol)\)), see (\S+)$/;

/** `pkg_admin audit` lines; anything else (no vulnerability file, etc.) is not a finding. */
export function parseAudit(lines: string[]): AuditFinding[] {
  const findings: AuditFinding[] = [];
  for (const line of lines) {
    const m = AUDIT_LINE.exec(line.trim());
    if (m) findings.push({ pkgname: m[1]!, kind: m[2] ?? m[3]!, url: m[4]! });
  }
  return findings;
}
