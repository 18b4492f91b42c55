// Preloaded into a controller (`node --import` this file): SIGKILLs the
// process at the rename that puts a file matching $VO_KILL_RENAME into
// place, just before it or just after it ($VO_KILL_WHEN), as a crash at that
// instant would. Every atomic write (write-file-atomic) ends in that rename.
import fs from 'node:fs';

const pattern = process.env.VO_KILL_RENAME ? new RegExp(process.env.VO_KILL_RENAME) : undefined;
const after = process.env.VO_KILL_WHEN === 'after';
const rename = fs.rename;
const die = () => process.kill(process.pid, 'SIGKILL');

if (pattern)
  fs.rename = function (from, to, cb) {
    if (!pattern.test(String(to))) return rename.call(fs, from, to, cb);
    if (!after) return die();
    return rename.call(fs, from, to, die);
  };
