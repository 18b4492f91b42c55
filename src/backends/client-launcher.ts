// Starts the grid clients (sbatch, arcstat, ...) through one long-lived
// /bin/sh, not one fork of the controller per call. Forking a controller
// with 2,000 transactions in memory (~170 MiB) costs ~3 ms of its CPU and
// blocks its event loop ~10-15 ms until the child has exec'd, on a loaded
// machine; a grid run makes thousands of calls (500 sbatch alone for 500
// Slurm sites), so that was most of the controller's CPU per poll cycle and
// seconds of its submission phase. The shell forks cheaply (it is small),
// runs each call in the background, and says on its stdout when a call
// started (its pid, for a kill at the timeout) and how it ended. Each
// call's output goes to files of its own, read once it has ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface LaunchResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The client could not be started: its program is not in PATH. */
  notFound: boolean;
  timedOut: boolean;
}

/**
 * Reads one request a line and runs it. A newline inside an argument
 * travels as '"$NL"' (see quote()), so every request is exactly one line.
 */
const SCRIPT = `NL=$(printf '\\n_'); NL=\${NL%_}
while IFS= read -r line; do eval "$line"; done`;

/** Single-quoted for sh, on one line. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`).replace(/\n/g, `'"$NL"'`)}'`;
}

interface Call {
  resolve: (r: LaunchResult) => void;
  reject: (e: Error) => void;
  files: { out: string; err: string };
  pid?: number;
  timer: NodeJS.Timeout;
  timedOut: boolean;
}

class Launcher {
  readonly child: ChildProcess;
  private readonly calls = new Map<number, Call>();
  private dead: Error | undefined;

  constructor(
    readonly env: string,
    private readonly dir: string,
  ) {
    this.child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.heard(line));
    this.child.once('error', (e) => this.fail(e));
    this.child.once('close', () => this.fail(new Error('the client launcher (/bin/sh) ended')));
    this.child.stdin!.on('error', (e) => this.fail(e));
    this.idle();
  }

  run(command: string, args: string[], timeoutMs: number): Promise<LaunchResult> {
    if (this.dead) return Promise.reject(this.dead);
    // Ids run on across launchers: their output files share one directory.
    const id = ++callSeq;
    const files = { out: path.join(this.dir, `${id}.out`), err: path.join(this.dir, `${id}.err`) };
    return new Promise<LaunchResult>((resolve, reject) => {
      const call: Call = {
        resolve,
        reject,
        files,
        timedOut: false,
        timer: setTimeout(() => {
          call.timedOut = true;
          if (call.pid) this.kill(call.pid);
        }, timeoutMs),
      };
      this.calls.set(id, call);
      this.busy();
      const cmd = [command, ...args].map(quote).join(' ');
      // The client in the background of a subshell: its pid is told first, then its exit code.
      this.child.stdin!.write(
        `( ${cmd} </dev/null >${quote(files.out)} 2>${quote(files.err)} & echo "${id} pid $!"; wait $!; echo "${id} rc $?" ) &\n`,
      );
    });
  }

  /** No more calls: the shell ends once the running ones have. */
  retire(): void {
    this.child.stdin!.end();
  }

  private heard(line: string): void {
    const m = /^(\d+) (pid|rc) (\d+)$/.exec(line);
    const call = m && this.calls.get(Number(m[1]));
    if (!m || !call) return;
    if (m[2] === 'pid') {
      call.pid = Number(m[3]);
      if (call.timedOut) this.kill(call.pid);
      return;
    }
    this.calls.delete(Number(m[1]));
    clearTimeout(call.timer);
    if (this.calls.size === 0) this.idle();
    this.collect(call, Number(m[3]));
  }

  /**
   * Synchronous: the files are small and in the page cache, and the thread
   * pool's four round trips per async read (plus two for each rm) cost the
   * controller more CPU than the reads themselves, thousands of calls a run.
   */
  private collect(call: Call, code: number): void {
    const stdout = readOr(call.files.out);
    const stderr = readOr(call.files.err);
    rmSync(call.files.out, { force: true });
    rmSync(call.files.err, { force: true });
    // sh's own verdict on a program it cannot find: exit 127 and "not found" on stderr.
    const notFound = code === 127 && /not found/.test(stderr) && stdout === '';
    call.resolve({ exitCode: code, stdout, stderr, notFound, timedOut: call.timedOut });
  }

  private kill(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    if (launcher === this) launcher = undefined;
    for (const call of this.calls.values()) {
      clearTimeout(call.timer);
      call.reject(e);
    }
    this.calls.clear();
  }

  /** While no call runs, the launcher does not keep the controller alive. */
  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
    (this.child.stdin as unknown as { ref(): void }).ref();
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

let launcher: Launcher | undefined;
let callSeq = 0;
let dir: string | undefined;

/** Run a client through the shared launcher (a new one when the environment changed since it started). */
export function launch(command: string, args: string[], timeoutMs: number): Promise<LaunchResult> {
  const env = JSON.stringify(process.env);
  if (launcher && launcher.env !== env) {
    launcher.retire();
    launcher = undefined;
  }
  if (!launcher) {
    if (!dir) {
      const made = mkdtempSync(path.join(os.tmpdir(), 'vo-reconcile-clients-'));
      dir = made;
      process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    }
    launcher = new Launcher(env, dir);
  }
  return launcher.run(command, args, timeoutMs);
}
