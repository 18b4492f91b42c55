#!/usr/bin/env node
// The `reconcile` executable. The only place that exits the process.
import { runCli } from './run.js';
import { processIo } from './io.js';

// A reader that goes away (`reconcile plan | head`) is not an error; the
// journal lets a later run pick up anything left in flight.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await runCli(process.argv.slice(2), processIo);
