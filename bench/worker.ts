/**
 * Figure 7, a daemon over many rounds: a leaf worker (the `worker` command,
 * alone in its process, bench/worker-child.ts, with a 5 ms loop_delay so
 * that rounds come fast) next to the root's `ticker` process, under a
 * light write load, its connections cut every few thousand rounds. Heap
 * after a full GC, RSS and abort listeners at milestones should stay
 * flat: a listener, a connection or a statement cache left behind per
 * round or per reconnect would show as growth.
 *   npx tsx bench/worker.ts [--quick]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '../lib/db/connect.ts';
import { exec, freshDb, quick, replicaPair, report, servers } from './common.ts';

const rounds = quick ? 4000 : 20_000;
const cutEvery = quick ? 1000 : 4000;

const s = await servers('worker');
try {
  const src = await freshDb(s.provider, 'wk_src');
  const dst = await freshDb(s.subscriber, 'wk_dst');
  const ddl = 'create table public.t (id bigint primary key, v text)';
  await exec(src, ddl);
  await exec(dst, ddl);
  await replicaPair(src, dst, ['t']);

  const iniPath = join(mkdtempSync(join(tmpdir(), 'lambdiste-bench-')), 'src.ini');
  writeFileSync(iniPath, `[londiste3]\njob_name = src\ndb = ${src}\nqueue_name = replika\ntick_period = 0.1\n`);
  const ticker = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'lambdiste.mjs'), iniPath, 'ticker'], { stdio: 'ignore' });
  const tickerExited = new Promise<number | null>((resolve) => ticker.on('exit', resolve));

  // About 20 transactions a second, so that some rounds apply batches.
  const writer = await connect(src, { serverDefaults: true });
  let writes = 0;
  const load = setInterval(() => void writer.query('insert into t values ($1, $2)', [++writes, 'x'.repeat(100)]).catch(() => undefined), 50);

  let out: string;
  try {
    ({ stdout: out } = await promisify(execFile)(process.execPath,
      ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'worker-child.ts'), src, dst, String(rounds), String(cutEvery)],
      { encoding: 'utf8', maxBuffer: 2 ** 26 }));
  } finally {
    clearInterval(load);
    ticker.kill('SIGTERM');
  }
  const tickerCode = await tickerExited;
  await writer.end();
  const r = JSON.parse(out.trim().split('\n').pop()!) as {
    exitCode: number; failures: number;
    samples: { round: number; heapMb: number; rssMb: number; abortListeners: number; seconds: number }[];
  };
  const [, quarter] = r.samples;
  const last = r.samples.at(-1)!;
  report('worker', [
    ['rounds of the leaf worker', `${rounds} in ${last.seconds.toFixed(0)} s; connections cut every ${cutEvery}: ${r.failures} failed rounds, all retried`],
    ...r.samples.map((x): [string, string] => [`after ${x.round} rounds: heap / RSS MB, abort listeners`,
      `${x.heapMb.toFixed(1)} / ${x.rssMb.toFixed(1)}, ${x.abortListeners}`]),
    [`heap growth from round ${quarter!.round} to ${last.round}, MB`, `${(last.heapMb - quarter!.heapMb).toFixed(2)}  target: flat`],
    ['exit codes on stop (worker, ticker SIGTERM)', `${r.exitCode}, ${tickerCode}`],
  ], { rounds, cutEvery, ...r, tickerExitCode: tickerCode, heapGrowthMb: last.heapMb - quarter!.heapMb, writes });
} finally {
  await s.stop();
}
