// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`):
//   node bench/profile-summary.mjs FILE.cpuprofile [N] [FROM_S TO_S]
// FROM_S TO_S: only the samples taken that many seconds after the profile began.
// Self time of a node = its share of the samples; nodes of one function
// (same name, file, line, column) are added up.
import { readFileSync } from 'node:fs';

const [file, n = '15', fromS, toS] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [N] [FROM_S TO_S]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const dt = new Map(); // node id -> microseconds
const from = fromS === undefined ? -Infinity : Number(fromS) * 1e6;
const to = toS === undefined ? Infinity : Number(toS) * 1e6;
let at = 0;
prof.samples.forEach((id, i) => {
  at += prof.timeDeltas[i] ?? 0;
  if (at >= from && at < to) dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
for (const node of prof.nodes) {
  const f = node.callFrame;
  const where = f.url
    ? `${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}:${f.columnNumber + 1}`
    : '';
  const key = `${f.functionName || '(anonymous)'}\t${where}`;
  byFn.set(key, (byFn.get(key) ?? 0) + (dt.get(node.id) ?? 0));
}
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s`);
console.log('  self ms   self %  function  location');
for (const [key, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  const [name, where] = key.split('\t');
  console.log(
    `${(us / 1000).toFixed(0).padStart(8)} ${((100 * us) / total).toFixed(1).padStart(7)}%  ${name}  ${where}`,
  );
}
