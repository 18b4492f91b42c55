// `reconcile serve` as a real process for tests: started on a free port of
// 127.0.0.1, its base URL read from the line saying where it serves.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './cli.js';

export interface Served {
  base: string;
  child: ChildProcess;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
}

export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/cli/main.js'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = await new Promise<string>((resolve, reject) => {
    const found = () => /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    child.stdout.on('data', () => {
      const b = found();
      if (b) resolve(b);
    });
    void exited.then(() => reject(new Error(`serve exited before serving:\n${out}${err}`)));
  });
  return {
    base,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
