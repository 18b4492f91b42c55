// Preloaded by run.mjs with `node --import <this file>`: when the process
// exits, writes its peak resident set size (getrusage ru_maxrss, in KiB) and
// the CPU time of all its threads (user + system, in microseconds) to the
// file named by $BENCH_RSS_FILE. Does nothing without that variable.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file)
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(file, `${r.maxRSS} ${r.userCPUTime + r.systemCPUTime}\n`);
  });
