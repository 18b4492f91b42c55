// Running a batch system's or grid middleware's client command (sbatch,
// arcsub, ...). One place decides what a failure to run one means: a
// missing program is a setup error the user must fix, a hang is cut short,
// and everything else is handed back for the backend to read.
import { launch } from './client-launcher.js';
import { TransientBackendError } from './types.js';

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A client that does not answer within this is treated as failed. */
const TIMEOUT_MS = 120_000;

/**
 * Run a client to its end, through the shared launcher (client-launcher.ts):
 * a grid run starts thousands of these, and each fork of the controller
 * itself cost it ~3 ms of CPU and ~10 ms of a blocked event loop.
 */
export async function runTool(command: string, args: string[]): Promise<ToolResult> {
  const r = await launch(command, args, TIMEOUT_MS);
  if (r.notFound)
    throw new Error(
      `'${command}' was not found in PATH: install its client tools on this host (${process.env.PATH ?? ''})`,
    );
  if (r.timedOut)
    return { exitCode: 124, stdout: r.stdout, stderr: `'${command}' gave no answer within ${TIMEOUT_MS / 1000}s` };
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
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
