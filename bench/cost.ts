/**
 * Figure 6, invocations and cost: Lambda invocations per hour for the
 * ticker and the consumer of one leaf, idle and at 1,000 transactions/s,
 * and the monthly cost at AWS's published Lambda prices (arm64, eu-west-1:
 * $0.0000133334 per GB-second, $0.20 per million requests) for the memory
 * sizes in serverless.yml. The load figures come from bench/results/lag.json
 * (run bench:lag first); the idle ones from the functions' own rules.
 *   npm run bench:cost
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { report } from './common.ts';

const perGbSecond = 0.0000133334;
const perRequest = 0.2 / 1_000_000;
const hoursPerMonth = 730;
const sls = readFileSync(join(import.meta.dirname, '..', 'serverless.yml'), 'utf8');
const memoryOf = (fn: string) => {
  const m = new RegExp(`\\n  ${fn}:[\\s\\S]*?memorySize: (\\d+)`).exec(sls);
  if (!m) throw new Error(`no memorySize for ${fn} in serverless.yml`);
  return Number(m[1]) / 1024;
};
const tickerGb = memoryOf('ticker');
const consumerGb = memoryOf('consumer');

let lag: { figures: { runs: { invocationsPerHour: number; consumerBusyFraction: number }[] } } | null = null;
try {
  lag = JSON.parse(readFileSync(join(import.meta.dirname, 'results', 'lag.json'), 'utf8'));
} catch {
  /* no load figures yet */
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// Idle: one ticker run a minute that returns after LAMBDISTE_TICKER_IDLE_EXIT_MS (10 s);
// each leaf's consumer woken every 30 s, a run of about 0.2 s.
const idle = {
  tickerInvocations: 60, tickerSeconds: 60 * 10.5,
  consumerInvocations: 120, consumerSeconds: 120 * 0.2,
};
// Under load the ticker loops the whole minute; the consumer's figures are measured.
const load = lag && {
  tickerInvocations: 60, tickerSeconds: 60 * 62,
  consumerInvocations: median(lag.figures.runs.map((r) => r.invocationsPerHour)),
  consumerSeconds: 3600 * median(lag.figures.runs.map((r) => r.consumerBusyFraction)),
};
const monthly = (x: typeof idle) =>
  hoursPerMonth * ((x.tickerInvocations + x.consumerInvocations) * perRequest +
    (x.tickerSeconds * tickerGb + x.consumerSeconds * consumerGb) * perGbSecond);

const rows: [string, string][] = [
  ['idle: ticker invocations/h', String(idle.tickerInvocations)],
  ['idle: consumer invocations/h per leaf', String(idle.consumerInvocations)],
  ['idle: monthly cost (root + one leaf)', `$${monthly(idle).toFixed(2)}`],
];
if (load) {
  rows.push(
    ['1000 tx/s: ticker invocations/h', String(load.tickerInvocations)],
    ['1000 tx/s: consumer invocations/h per leaf', load.consumerInvocations.toFixed(0)],
    ['1000 tx/s: consumer billed seconds/h', load.consumerSeconds.toFixed(0)],
    ['1000 tx/s: monthly cost (root + one leaf)', `$${monthly(load).toFixed(2)}`],
  );
} else {
  rows.push(['1000 tx/s', 'run npm run bench:lag first']);
}
report('cost', rows, { tickerGb, consumerGb, idle, load, monthlyIdle: monthly(idle), monthlyLoad: load ? monthly(load) : null });
