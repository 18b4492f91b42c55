// Preloaded by run.mjs with `node --import <this file>`: when the process
// exits, writes its peak resident set size (getrusage ru_maxrss, in KiB) to
// the file named by $BENCH_RSS_FILE. Does nothing without that variable.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`));
