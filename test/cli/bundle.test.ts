/**
 * The CLI runs from the bundle that `npm install` builds (dist/cli), and the
 * bundle is kept in step with the sources: it is what they build to, and
 * bin/lambdiste.mjs runs the sources instead once one of them is newer.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createDatabase } from '../helpers/db.ts';
import { nodeConfig, run, sql } from '../helpers/nodes.ts';

const root = resolve(import.meta.dirname, '../..');

function lambdiste(bin: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('the CLI bundle', () => {
  it('is what the sources build to', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs commands, and gives way to the sources when they are newer or asked for', async () => {
    const url = await createDatabase('provider', 'bundle_cli');
    await sql(url, 'create table public.t (id int primary key)');
    expect((await run(nodeConfig('src', url), 'create-root', ['src'])).exitCode).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'lambdiste-bundle-'));
    const ini = join(dir, 'src.ini');
    writeFileSync(ini, `[londiste3]\njob_name = src\ndb = ${url}\nqueue_name = replika\n`);
    const missing = 'Missing objects on node\nobj_kind         obj_name       \n---------------  ---------------\nr                public.t       \n\n\n';

    const bundled = lambdiste(join(root, 'bin/lambdiste.mjs'), [ini, 'missing', '-v']);
    expect(bundled.stderr.split('\n')[0]).toBe('DEBUG Running lambdiste from the bundle in dist/cli');
    expect(bundled.stdout).toBe(missing);
    expect(bundled.status).toBe(0);

    const asked = lambdiste(join(root, 'bin/lambdiste.mjs'), [ini, 'missing', '-v'], { LAMBDISTE_FROM_SOURCE: '1' });
    expect(asked.stderr.split('\n')[0]).toBe('DEBUG Running lambdiste from its TypeScript sources (LAMBDISTE_FROM_SOURCE=1)');
    expect(asked.stdout).toBe(missing);

    // A copy of the checkout (the bundle and its sources) in which one source is edited after the build.
    const copy = join(dir, 'checkout');
    const { inputs } = JSON.parse(readFileSync(join(root, 'dist/cli/inputs.json'), 'utf8')) as { inputs: string[] };
    for (const f of [...inputs, 'package.json', 'bin/lambdiste.mjs']) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(root, f), join(copy, f), { preserveTimestamps: true });
    }
    cpSync(join(root, 'dist/cli'), join(copy, 'dist/cli'), { recursive: true, preserveTimestamps: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const still = lambdiste(join(copy, 'bin/lambdiste.mjs'), [ini, 'missing', '-v']);
    expect(still.stderr.split('\n')[0]).toBe('DEBUG Running lambdiste from the bundle in dist/cli');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'lib/cli/format.ts'), later, later);
    const edited = lambdiste(join(copy, 'bin/lambdiste.mjs'), [ini, 'missing', '-v']);
    expect(edited.stderr.split('\n')[0]).toBe('DEBUG Running lambdiste from its TypeScript sources (lib/cli/format.ts is newer than dist/cli)');
    expect(edited.stdout).toBe(missing);
  });
});
