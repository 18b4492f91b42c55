// Errors are values with a location: every problem a user can fix names the
// file (and line/column when known) and says what was expected. Only the CLI
// entry point turns them into exit codes.

/** Where in the user's input a problem is. Line and column are 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** One problem found in user input; many may be collected before reporting. */
export interface Problem {
  location: SourceLocation;
  message: string;
}

/** `file:line:col: message`, the one format every validation error uses. */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}

export function formatProblem(p: Problem): string {
  return `${formatLocation(p.location)}: ${p.message}`;
}

/**
 * Invalid input (desired state, inventories, patterns, arguments): exit 2,
 * nothing changed. Carries every problem found, not just the first.
 */
export class InputError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/** A command-line usage error (unknown option, missing argument): exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A pkgsrc pattern that pkg_install itself would reject (e.g. unbalanced braces). */
export class PatternError extends Error {
  readonly pattern: string;
  constructor(pattern: string, message: string) {
    super(message);
    this.name = 'PatternError';
    this.pattern = pattern;
  }
}
