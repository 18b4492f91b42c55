// Colour for people at a terminal: on when stdout is a terminal, off under
// NO_COLOR (https://no-color.org: set and not empty), --no-color or
// TERM=dumb, and never in pipes, files or --json. Only the sign of a line
// is coloured, so the text reads the same without it.
import { flag, type ParsedArgs } from './args.js';
import type { Io } from './io.js';

export type Paint = (line: string) => string;

const CODES = { red: '31', green: '32', yellow: '33' } as const;
const wrap = (code: string, s: string) => `\u001b[${code}m${s}\u001b[0m`;

export function colourOn(io: Io, args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!io.isTTY || flag(args, 'no-color') || flag(args, 'json')) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** A plan line: additions green, removals and errors red, replacements yellow. */
export function planPaint(on: boolean): Paint {
  if (!on) return (l) => l;
  return (l) => {
    const m = /^( *)([+\-~!]) /.exec(l);
    if (m) {
      const code = m[2] === '+' ? CODES.green : m[2] === '~' ? CODES.yellow : CODES.red;
      return `${m[1]}${wrap(code, m[2]!)}${l.slice(m[0].length - 1)}`;
    }
    return l.replace(/: (ERROR|FAILED)\b/, (_, w: string) => `: ${wrap(CODES.red, w)}`);
  };
}

/** A progress line: a failure red, a change green, a held or deferred site yellow. */
export function statusPaint(on: boolean): (line: string, status?: string) => string {
  if (!on) return (l) => l;
  return (l, status) => {
    const code =
      status === 'failed'
        ? CODES.red
        : status === 'changed'
          ? CODES.green
          : status === 'held' || status === 'deferred'
            ? CODES.yellow
            : undefined;
    return code ? wrap(code, l) : l;
  };
}
