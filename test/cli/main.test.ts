import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type MainDeps } from '../../lib/cli/main.ts';
import type { CommandContext, CommandOptions } from '../../lib/admin/types.ts';
import { createDatabase } from '../helpers/db.ts';
import { sql } from '../helpers/nodes.ts';

function capture() {
  const out = { stdout: '', stderr: '' };
  const deps: MainDeps = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  };
  return { out, deps };
}

function ini(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-cli-'));
  const path = join(dir, 'node.ini');
  writeFileSync(path, body);
  return path;
}

describe('the command line', () => {
  it('parses commands and options into the admin contract', async () => {
    const calls: [string, string[], CommandOptions, boolean][] = [];
    const { out, deps } = capture();
    deps.runCommand = async (ctx: CommandContext, command, args, options) => {
      calls.push([command, args, options, ctx.verbose]);
      ctx.log('INFO', 'hello');
      ctx.log('DEBUG', 'select 1');
      return { exitCode: 0, tables: [{ title: 'T', columns: ['a'], rows: [['x']] }] };
    };
    const cfg = ini('[londiste3]\njob_name = n\ndb = dbname=x\nqueue_name = replika\n');
    expect(await main([cfg, 'add-table', 'a.b', 'c', '--max-parallel-copy=2', '--skip-truncate', '--copy-condition', 'id > 5'], deps)).toBe(0);
    expect(await main([cfg, 'create-leaf', 'dst1', '--provider=host=h dbname=d', '-v'], deps)).toBe(0);
    expect(await main([cfg, 'create-branch', 'br1', 'host=b dbname=br', '--provider=host=h dbname=d'], deps)).toBe(0);
    expect(await main([cfg, 'change-provider', '--provider=br1'], deps)).toBe(0);
    expect(await main([cfg, 'takeover', 'src1', '--timeout=30'], deps)).toBe(0);
    for (const c of [['members'], ['node-status'], ['tag-dead', 'x'], ['drop-node', 'x']]) expect(await main([cfg, ...c], deps)).toBe(0);
    expect(calls).toEqual([
      ['add-table', ['a.b', 'c'], { maxParallelCopy: 2, skipTruncate: true, copyCondition: 'id > 5' }, false],
      ['create-leaf', ['dst1'], { provider: 'host=h dbname=d' }, true],
      ['create-branch', ['br1', 'host=b dbname=br'], { provider: 'host=h dbname=d' }, false],
      ['change-provider', [], { provider: 'br1', timeout: 600 }, false],
      ['takeover', ['src1'], { timeout: 30 }, false],
      ['members', [], {}, false],
      ['node-status', [], {}, false],
      ['tag-dead', ['x'], {}, false],
      ['drop-node', ['x'], {}, false],
    ]);
    expect(out.stdout).toContain('T\na              \n---------------\nx              \n');
    expect(out.stderr.split('\n').filter(Boolean).slice(0, 3)).toEqual(['INFO hello', 'INFO hello', 'DEBUG select 1']);
  });

  it('rejects bad usage with a non-zero exit', async () => {
    const { out, deps } = capture();
    deps.runCommand = async () => { throw new Error('must not run'); };
    const cfg = ini('[londiste3]\njob_name = n\ndb = dbname=x\nqueue_name = replika\n');
    expect(await main([cfg, 'no-such-command'], deps)).toBe(1);
    expect(await main([cfg, 'add-table', 't', '--max-parallel-copy=0'], deps)).toBe(1);
    expect(out.stderr).toContain('--max-parallel-copy must be a positive integer');
    expect(await main([cfg, 'create-leaf', 'x'], { ...deps, runCommand: undefined })).toBe(1);
    expect(out.stderr).toContain('ERROR create-leaf needs --provider=CONNSTR');
    expect(await main([ini('[londiste3]\njob_name = n\nqueue_name = q\n'), 'tables'], deps)).toBe(1);
    expect(out.stderr).toMatch(/ERROR Config file .*node\.ini: missing key "db" in section \[londiste3\]/);
  });

  it('runs real commands against a database and prints londiste3 output', async () => {
    const url = await createDatabase('provider', 'cli');
    await sql(url, 'create schema s; create table s.t (id int primary key); create table s.nopk (x int)');
    const cfg = ini(`[londiste3]\njob_name = src\ndb = ${url}\nqueue_name = replika\n`);
    const { out, deps } = capture();
    expect(await main([cfg, 'create-root', 'src'], deps)).toBe(0);
    expect(await main([cfg, 'add-table', 's.t'], deps)).toBe(0);
    expect(await main([cfg, 'add-table', 's.nopk'], deps)).toBe(1);
    expect(await main([cfg, 'add-table', 's.t'], deps)).toBe(0);
    expect(await main([cfg, 'add-table', `s.t'; drop table s.t; --`], deps)).toBe(1);
    expect(await main([cfg, 'tables'], deps)).toBe(0);
    expect(await main([cfg, 'seqs'], deps)).toBe(0);
    expect(out.stderr.split('\n').filter(Boolean)).toEqual([
      'INFO Node "src" initialized for queue "replika" with type "root"',
      'INFO Done',
      'INFO Table added: s.t',
      'ERROR Primary key missing on table: s.nopk',
      'INFO s.t already processed',
      'INFO what to do ?',
      `ERROR Invalid name: s.t'; drop table s.t; --`,
    ]);
    expect(out.stdout).toBe(
      'Tables on node\ntable_name       merge_state      table_attrs    \n' +
        '---------------  ---------------  ---------------\ns.t              ok                              \n\n\n',
    );
    expect((await sql(url, 'select count(*)::int as n from s.t'))[0]!.n).toBe(0);

    const verbose = capture();
    expect(await main([cfg, 'tables', '-v'], verbose.deps)).toBe(0);
    expect(verbose.out.stderr).toMatch(/^DEBUG select \* from lambdiste\.get_table_list\(\$1\)$/m);
  });

  it('reports an unreachable database clearly, without its password', async () => {
    const cfg = ini('[londiste3]\njob_name = n\ndb = postgres://u:topsecret@127.0.0.1:1/x\nqueue_name = q\n');
    const { out, deps } = capture();
    expect(await main([cfg, 'tables'], deps)).toBe(1);
    expect(out.stderr).toMatch(/^ERROR Cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    expect(out.stderr).not.toContain('topsecret');
  });
});
