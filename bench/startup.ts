/**
 * Start-up: what an operator's one-shot command costs, `npx lambdiste
 * CONFIG.ini missing` against a real database (an embedded server, or
 * BENCH_PG_URL), wall and CPU time, median of BENCH_STARTUP_RUNS (default
 * 11) runs after one warm-up. Beside it, the parts: the CLI without npx
 * (`node bin/lambdiste.mjs`), from its TypeScript sources through tsx
 * (LAMBDISTE_FROM_SOURCE=1), npx with npm's update check off, npx from a
 * project that depends on lambdiste (its bin in node_modules/.bin, npx's
 * quickest path), and references (node doing nothing, psql -c 'select 1').
 *   npm run bench:startup
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmd, exec, fmt, freshDb, report, stat, type Stat } from './common.ts';
import { startLocalCluster } from '../lib/db/embedded.ts';

const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 11);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'lambdiste-startup-'));
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const external = process.env.BENCH_PG_URL;
const server = external ? undefined : await startLocalCluster('bench-startup');
try {
  const url = external ?? (await freshDb(server!, 'startup'));
  await exec(url, 'drop table if exists public.t; create table public.t (id int primary key)');
  const config = { jobName: 'startup', db: url, queueName: 'startup', settings: {} };
  await cmd(config, 'create-root', ['startup']);
  const ini = join(work, 'startup.ini');
  writeFileSync(ini, `[londiste3]\njob_name = startup\ndb = ${url}\nqueue_name = startup\n`);

  // A project that depends on lambdiste, as an operator's might.
  const dependent = join(work, 'ops');
  mkdirSync(join(dependent, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(dependent, 'package.json'), JSON.stringify({ name: 'ops', private: true, dependencies: { lambdiste: `file:${root}` } }));
  symlinkSync(root, join(dependent, 'node_modules', 'lambdiste'));
  symlinkSync('../lambdiste/bin/lambdiste.mjs', join(dependent, 'node_modules', '.bin', 'lambdiste'));

  /** Wall and CPU seconds of `command`, run from the project's directory (or `cwd`). */
  function measure(command: string[], env: Record<string, string> = {}, check?: (out: string) => boolean, cwd = root): { wall: Stat; cpu?: Stat } {
    const walls: number[] = [];
    const cpus: number[] = [];
    const cpuFile = join(work, 'cpu');
    for (let i = 0; i <= runs; i++) {
      const argv = timeBin ? [timeBin, '-f', '%U %S', '-o', cpuFile, ...command] : command;
      const t0 = performance.now();
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
      const wall = (performance.now() - t0) / 1000;
      if (r.status !== 0 || (check && !check(r.stdout))) {
        throw new Error(`${command.join(' ')} failed (${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
      }
      if (i === 0) continue; // warm-up: caches (npx's, tsx's, the OS's) as an operator's loop has them
      walls.push(wall);
      if (timeBin) {
        const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
        cpus.push(user! + sys!);
      }
    }
    return { wall: stat(walls), cpu: timeBin ? stat(cpus) : undefined };
  }

  const missing = (out: string) => out.includes('Missing objects on node') && out.includes('public.t');
  const figures = {
    npx: measure(['npx', 'lambdiste', ini, 'missing'], {}, missing),
    npxNoUpdateCheck: measure(['npx', 'lambdiste', ini, 'missing'], { npm_config_update_notifier: 'false' }, missing),
    npxDependent: measure(['npx', 'lambdiste', ini, 'missing'], {}, missing, dependent),
    node: measure([process.execPath, 'bin/lambdiste.mjs', ini, 'missing'], {}, missing),
    fromSource: measure([process.execPath, 'bin/lambdiste.mjs', ini, 'missing'], { LAMBDISTE_FROM_SOURCE: '1' }, missing),
    nodeNothing: measure([process.execPath, '-e', '0']),
    psql: spawnSync('psql', ['--version']).status === 0
      ? measure(['psql', '-X', '-q', '-d', url, '-c', 'select 1'], {}, (out) => out.includes('1'))
      : undefined,
  };
  const row = (name: string, m: { wall: Stat; cpu?: Stat } | undefined): [string, string] =>
    [name, m ? `${fmt(m.wall, 3)} s wall, ${m.cpu ? `${fmt(m.cpu, 2)} s CPU` : 'CPU not measured'}` : 'not measured (no psql)'];
  report('startup', [
    row('npx lambdiste CONFIG.ini missing (target ≤ 0.3 s)', figures.npx),
    row('  same, npm_config_update_notifier=false', figures.npxNoUpdateCheck),
    row('  same from a project depending on lambdiste', figures.npxDependent),
    row('node bin/lambdiste.mjs CONFIG.ini missing', figures.node),
    row('  same from source (LAMBDISTE_FROM_SOURCE=1, tsx)', figures.fromSource),
    ['npx\'s own share (npx − node bin, medians)', `${(figures.npx.wall.median - figures.node.wall.median).toFixed(3)} s`],
    row('node -e 0', figures.nodeNothing),
    row("psql -c 'select 1'", figures.psql),
  ], { runs, ...figures });
} finally {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}
