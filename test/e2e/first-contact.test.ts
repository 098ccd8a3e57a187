/**
 * The README's two commands, when an embedded server cannot start: `npm
 * start` (the CLI's demo) and `npm test` (the test setup) each say why in
 * one line, never with a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const impossible = '/nonexistent/lambdiste/bin';

/** This process's environment without vitest's own variables, and with binaries that cannot run. */
function env(): NodeJS.ProcessEnv {
  const e = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'LAMBDISTE_TEST_PG'));
  return { ...e, LAMBDISTE_PG_BINDIR: impossible, NO_COLOR: '1' };
}

const why =
  `Cannot start embedded PostgreSQL: ${impossible}/postgres (LAMBDISTE_PG_BINDIR) does not run` +
  `${process.getuid?.() === 0 ? ' as the OS user postgres' : ''}: ENOENT. ` +
  'Fix: point LAMBDISTE_PG_BINDIR at a PostgreSQL bin directory that user can run, or unset it.';

describe('an embedded server that cannot start', () => {
  it('stops the demo (npm start) with one line', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/lambdiste.mjs'), 'demo', '--duration=1'], { cwd: root, env: env(), encoding: 'utf8' });
    expect(r.stderr).toBe(`ERROR ${why}\n`);
    expect(r.status).toBe(1);
  });

  it('stops the test run (npm test) with one line', () => {
    const r = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', 'test/cli/format.test.ts'], {
      cwd: root, env: env(), encoding: 'utf8', timeout: 120_000,
    });
    expect(r.stderr).toBe(`${why} Or set LAMBDISTE_TEST_PG to the URL of another server.\n`);
    expect(r.stdout).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(1);
  });
});
