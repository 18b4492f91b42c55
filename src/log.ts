// Logs: pino JSON lines on stderr (or --log-file), separate from the human
// and --json output on stdout. Default level "warn" keeps stderr quiet in
// normal runs; --log-level info records every site state change.
import pino, { type Logger } from 'pino';
import type { LogLevel } from './log-levels.js';

export function createLogger(level: LogLevel = 'warn', file?: string): Logger {
  const destination = file
    ? pino.destination({ dest: file, append: true, mkdir: true, sync: true })
    : pino.destination({ dest: 2, sync: true });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
