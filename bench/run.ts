/**
 * npm run bench [-- --quick]: every figure, one after the other, each in
 * its own process; figures land in bench/results/*.json and a summary in
 * bench/results/summary.md (summary-quick.md for --quick), from which
 * BENCHMARKS.md is written by hand.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const figures = ['capture', 'apply', 'apply-cli', 'londiste', 'lag', 'lag-cli', 'idle-wake', 'copy', 'copy-cli', 'pooler', 'memory', 'worker', 'cost', 'startup'].filter((f) => only.length === 0 || only.includes(f));
const started = Date.now();
let out = `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `Node ${process.version}, embedded PostgreSQL 18 (fsync on)${args.includes('--quick') ? ', quick mode' : ''}\n`;
for (const f of figures) {
  const figureStarted = Date.now();
  const text = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, `${f}.ts`), ...args.filter((a) => a.startsWith('--'))], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  const took = `  (${f}: ${((Date.now() - figureStarted) / 60000).toFixed(1)} minutes)\n`;
  process.stdout.write(text + took);
  out += text + took;
}
out += `\n(${((Date.now() - started) / 60000).toFixed(1)} minutes)\n`;
// A quick run does not overwrite the last full run's summary.
writeFileSync(join(import.meta.dirname, 'results', args.includes('--quick') ? 'summary-quick.md' : 'summary.md'), '```\n' + out + '```\n');
