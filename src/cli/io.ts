// What a command may touch of the outside: its output streams, and on a
// terminal a question to its user. Commands return an exit code instead of
// exiting, so tests can run them in-process.
import { createInterface } from 'node:readline';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
  /**
   * Ask the person at the terminal; true only for a yes. Absent when there is
   * no terminal to ask (cron, hooks, pipes, tests in-process): then nobody is asked.
   */
  confirm?(question: string): Promise<boolean>;
}

export interface CommandResult {
  exitCode: number;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: Boolean(process.stdout.isTTY),
  ...(process.stdin.isTTY && process.stdout.isTTY ? { confirm: askTerminal } : {}),
};

/** One line from the terminal; an end of input (Ctrl-D) or Ctrl-C is a no. */
function askTerminal(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    rl.on('close', () => {
      if (!answered) process.stdout.write('\n');
      resolve(false);
    });
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = true;
      // Before close, whose handler answers no.
      resolve(/^\s*(y|yes)\s*$/i.test(answer));
      rl.close();
    });
  });
}
