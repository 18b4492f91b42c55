// What a command may touch of the outside: its output streams. Commands
// return an exit code instead of exiting, so tests can run them in-process.

export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
}

export interface CommandResult {
  exitCode: number;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};
