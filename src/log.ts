// Logs: pino JSON lines on stderr (or --log-file), separate from the human
// and --json output on stdout. Default level "warn" keeps stderr quiet in
// normal runs; --log-level info records every site state change.
import pino, { type Logger } from 'pino';
import { UsageError } from './errors.js';
import { LOG_LEVELS } from './log-levels.js';

const LEVELS: readonly string[] = LOG_LEVELS;

export function createLogger(level = 'warn', file?: string): Logger {
  if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}, got '${level}'`);
  const destination = file
    ? pino.destination({ dest: file, append: true, mkdir: true, sync: true })
    : pino.destination({ dest: 2, sync: true });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
