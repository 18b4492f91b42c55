// Starting local jobs through one small long-lived sh. Forking the
// controller itself costs ~10 ms of blocked event loop per job (the whole
// Node process is copied); forking a tiny sh costs next to nothing. Each
// job runs under setsid in its own session and process group, so it
// survives the controller and can be cancelled as a group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { shq } from '../jobs/shell.js';

export class Launcher {
  private sh: ChildProcess | undefined;
  private readonly pids = new Map<string, (pid: number) => void>();
  private readonly ends = new Map<string, (exitCode: number) => void>();

  /** Start `sh ./job.sh` in `dir`; resolves with the job's process group id. */
  launch(id: string, dir: string): Promise<number> {
    const sh = this.shell();
    // The wrapper outlives a TERM to the group, so the job's own trap can
    // release its site lock, and then records the job's exit code.
    const wrapper = [
      "trap ':' HUP INT TERM",
      'sh ./job.sh > output 2>&1 &',
      'job=$!',
      'while :; do wait "$job"; rc=$?; kill -0 "$job" 2>/dev/null || break; done',
      // One short write, so rc is either empty or whole (readers take an empty one as not yet written);
      // the exit code also comes with the end line, so this controller need not read it back.
      `echo "$rc" > rc; echo "end ${id} $rc"`,
    ].join('\n');
    // The subshell exits at once, so the job is re-parented to init (no
    // zombie that looks alive); the pid file is written before anything can
    // be lost, so a successor finds a job its controller died launching.
    const line = `(cd ${shq(dir)} && { setsid sh -c ${shq(wrapper)} < /dev/null 2>/dev/null & echo "$!" > pid; echo "pid ${id} $!"; })\n`;
    return new Promise((resolve) => {
      this.pids.set(id, resolve);
      this.holdWhileWaiting();
      sh.stdin!.write(line);
    });
  }

  /** Resolves with the exit code of a job this launcher started once it has ended (and its rc file is written). */
  ended(id: string): Promise<number> {
    return new Promise((resolve) => {
      this.ends.set(id, resolve);
      this.holdWhileWaiting();
    });
  }

  /** Keep the process alive while someone waits on the launcher, and only then. */
  private holdWhileWaiting(): void {
    const sh = this.sh;
    if (!sh) return;
    const stdout = sh.stdout as unknown as { ref(): void; unref(): void };
    if (this.pids.size + this.ends.size > 0) {
      sh.ref();
      stdout.ref();
    } else {
      sh.unref();
      stdout.unref();
    }
  }

  private shell(): ChildProcess {
    if (this.sh) return this.sh;
    const sh = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], env: jobEnv() });
    createInterface({ input: sh.stdout! }).on('line', (l) => this.onLine(l));
    // Waiting jobs keep the controller alive; the launcher itself must not.
    sh.unref();
    (sh.stdin as unknown as { unref?: () => void }).unref?.();
    (sh.stdout as unknown as { unref?: () => void }).unref?.();
    this.sh = sh;
    this.holdWhileWaiting();
    return sh;
  }

  private onLine(line: string): void {
    const [word, id, n] = line.split(' ');
    if (word === 'pid' && id) {
      this.pids.get(id)?.(Number(n));
      this.pids.delete(id);
    } else if (word === 'end' && id) {
      this.ends.get(id)?.(Number(n));
      this.ends.delete(id);
    }
    this.holdWhileWaiting();
  }
}

/** A job sees a plain environment, as it would at a site: no controller secrets. */
export function jobEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TZ', 'TMPDIR', 'VO_EMULATOR_LOG'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}
