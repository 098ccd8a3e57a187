/**
 * End to end through the real Lambda Invoke API: serverless-offline serves
 * the three bundled functions; embedded PostgreSQL is provider and
 * subscriber; admin commands go through the CLI with --via-lambda; the
 * ticker is invoked and wakes the consumer with Event invocations through
 * the same API; the subscriber converges to the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { main } from '../../lib/cli/main.ts';
import { freePort } from '../../lib/db/embedded.ts';
import { createDatabase } from '../helpers/db.ts';
import { checksum, sql } from '../helpers/nodes.ts';

const root = resolve(import.meta.dirname, '../..');
let offline: ChildProcess;
let lambda: LambdaClient;
let output = '';
let src: string;
let dst: string;

const ini = (job: string, db: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'lambdiste-e2e-')), `${job}.ini`);
  writeFileSync(path, `[londiste3]\njob_name = ${job}\ndb = ${db}\nqueue_name = replika\nadmin_function = lambdiste-dev-admin\nvia_lambda = 1\n`);
  return path;
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

async function invoke(fn: string, payload: unknown): Promise<any> {
  const r = await lambda.send(new InvokeCommand({ FunctionName: `lambdiste-dev-${fn}`, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  return JSON.parse(new TextDecoder().decode(r.Payload));
}

beforeAll(async () => {
  src = await createDatabase('provider', 'e2e_src');
  dst = await createDatabase('subscriber', 'e2e_dst');
  const ddl = 'create schema digoal_01; create table digoal_01.user_info (userid int primary key, name text, ts timestamptz)';
  await sql(src, ddl + `; insert into digoal_01.user_info select g, 'u' || g, now() from generate_series(1, 2000) g`);
  await sql(dst, ddl);
  const [http, lambdaPort, ws] = await Promise.all([freePort(), freePort(), freePort()]);
  const endpoint = `http://127.0.0.1:${lambdaPort}`;
  const env = {
    ...process.env,
    LAMBDISTE_NODES: JSON.stringify({
      nodes: [
        { name: 'src_digoal_01', type: 'root', queue: 'replika', db: src },
        { name: 'dst1_digoal_01', type: 'leaf', queue: 'replika', provider: 'src_digoal_01', db: dst },
      ],
    }),
    LAMBDISTE_TICK_PERIOD_MS: '100',
    LAMBDISTE_OFFLINE_HTTP_PORT: String(http),
    LAMBDISTE_OFFLINE_LAMBDA_PORT: String(lambdaPort),
    LAMBDISTE_OFFLINE_WS_PORT: String(ws),
    AWS_ENDPOINT_URL_LAMBDA: endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
  };
  Object.assign(process.env, { AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'eu-west-1' });
  offline = spawn(join(root, 'node_modules/.bin/osls'), ['offline', 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  offline.stdout!.on('data', (d) => (output += d));
  offline.stderr!.on('data', (d) => (output += d));
  const until = Date.now() + 90_000;
  while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(output) || !output.includes(String(lambdaPort))) {
    if (Date.now() > until || offline.exitCode !== null) throw new Error(`serverless-offline did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  lambda = new LambdaClient({});
}, 120_000);

afterAll(async () => {
  if (offline && offline.exitCode === null) {
    offline.kill('SIGINT');
    await new Promise((r) => offline.once('exit', r));
  }
});

describe('through the Lambda API (serverless-offline)', () => {
  it('sets up replication with the CLI via the admin function, then ticker and consumers converge the leaf', async () => {
    const srcIni = ini('src_digoal_01', src);
    const dstIni = ini('dst1_digoal_01', dst);
    expect((await cli([srcIni, 'create-root', 'src_digoal_01'])).err).toContain('INFO Node "src_digoal_01" initialized');
    expect((await cli([srcIni, 'add-table', 'digoal_01.user_info'])).err).toBe('INFO Table added: digoal_01.user_info\n');
    const leafRun = await cli([dstIni, 'create-leaf', 'dst1_digoal_01']);
    expect(leafRun.err).toContain('initialized for queue "replika" with type "leaf"');
    expect((await cli([dstIni, 'add-table', 'digoal_01.user_info'])).code).toBe(0);
    const bad = await cli([srcIni, 'add-table', 'digoal_01.nope']);
    expect(bad).toMatchObject({ code: 1, err: 'WARNING digoal_01.nope not available\nERROR Cannot proceed\n' });

    await sql(src, `update digoal_01.user_info set name = 'renamed' where userid % 4 = 0; delete from digoal_01.user_info where userid > 1900`);
    const until = Date.now() + 60_000;
    for (;;) {
      const r = await invoke('ticker', { runForMs: 1500 });
      expect(r.ok).toBe(true);
      const tables = await cli([dstIni, 'tables']);
      if (tables.out.includes(' ok ') && (await checksum(dst, 'digoal_01.user_info')) === (await checksum(src, 'digoal_01.user_info'))) break;
      if (Date.now() > until) throw new Error(`leaf did not converge\n${output.slice(-3000)}`);
    }
    expect(output).not.toContain('InvokeCommand failed');
    // The consumer was woken through the Lambda API (an Event invocation served by offline).
    expect(output.match(/\(λ: consumer\) RequestId/g)?.length ?? 0).toBeGreaterThan(0);
  });

  it('answers a bad event with a clear error', async () => {
    expect(await invoke('consumer', { nodes: 'x' })).toMatchObject({ ok: false, error: 'Event object failed validation' });
    expect(await invoke('admin', { node: 'nobody', command: 'tables' })).toMatchObject({ ok: false, error: expect.stringContaining('Unknown node "nobody"') });
  });
});
