// Running a batch system's or grid middleware's client command (sbatch,
// arcsub, ...). One place decides what a failure to run one means: a
// missing program is a setup error the user must fix, a hang is cut short,
// and everything else is handed back for the backend to read.
import { execa } from 'execa';

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** A client that does not answer within this is treated as failed (default 120 s). */
  timeoutMs?: number;
}

export class ToolMissingError extends Error {}

export async function runTool(command: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const r = await execa(command, args, {
    reject: false,
    stripFinalNewline: false,
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') {
    throw new ToolMissingError(`'${command}' was not found in PATH: install its client tools on this host (${process.env.PATH ?? ''})`);
  }
  if (r.timedOut) return { exitCode: 124, stdout: String(r.stdout ?? ''), stderr: `'${command}' gave no answer within ${(opts.timeoutMs ?? 120_000) / 1000}s` };
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** The last few meaningful lines of a client's complaint, on one line. */
export function complaint(r: ToolResult): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' / ') || `exit code ${r.exitCode}`;
}
