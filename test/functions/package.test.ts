/**
 * The deployable artefacts: `osls package` builds the three functions
 * offline, the CloudFormation template has what serverless.yml promises,
 * and each bundle loads and runs as it would on AWS (CommonJS, the AWS SDK
 * left to the runtime).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createDatabase } from '../helpers/db.ts';
import { sql } from '../helpers/nodes.ts';

const root = resolve(import.meta.dirname, '../..');
// Inside the project, so the bundles find the AWS SDK as Lambda's runtime provides it.
const work = join(root, '.bundle-test', String(process.pid));
const out = join(work, 'package');
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync(join(root, 'node_modules/.bin/osls'), ['package', '--package', out], {
    cwd: root, stdio: 'pipe', timeout: 120_000, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const ofType = (t: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === t);

describe('osls package', () => {
  it('builds three functions on a one-minute schedule with least-privilege roles and no public URL', () => {
    const fns = Object.fromEntries(ofType('AWS::Lambda::Function').map(([k, r]) => [k, r.Properties]));
    expect(Object.keys(fns).sort()).toEqual(['AdminLambdaFunction', 'ConsumerLambdaFunction', 'TickerLambdaFunction']);
    expect(fns.TickerLambdaFunction!.Runtime).toBe('nodejs22.x');
    expect(fns.ConsumerLambdaFunction!.Timeout).toBe(300);
    expect(ofType('AWS::Lambda::Url')).toEqual([]);
    expect(ofType('AWS::ApiGateway::RestApi')).toEqual([]);
    const rule = ofType('AWS::Events::Rule')[0]![1];
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');

    const statements = (role: string) =>
      template.Resources[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const invokes = (role: string) => statements(role).filter((s: any) => s.Action.includes('lambda:InvokeFunction'));
    for (const role of ['TickerRole', 'ConsumerRole']) {
      expect(invokes(role).map((s: any) => s.Resource['Fn::Sub'])).toEqual([
        'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:lambdiste-dev-consumer',
      ]);
    }
    expect(invokes('AdminRole')).toEqual([]);
    expect(fns.AdminLambdaFunction!.Role).toEqual({ 'Fn::GetAtt': ['AdminRole', 'Arn'] });
  });

  it('each bundle loads as CommonJS and runs its handler', async () => {
    const db = await createDatabase('provider', 'bundle');
    await sql(db, 'create table public.b (id int primary key)');
    process.env.LAMBDISTE_NODES = JSON.stringify({ nodes: [{ name: 'src', type: 'root', queue: 'replika', db }] });
    process.env.LAMBDISTE_INVOKER = 'in-process';
    const handlers: Record<string, (e: unknown, c: unknown) => Promise<any>> = {};
    for (const fn of ['admin', 'consumer', 'ticker']) {
      const dir = join(work, fn);
      execFileSync('unzip', ['-q', '-o', join(out, `${fn}.zip`), '-d', dir]);
      handlers[fn] = createRequire(join(dir, 'x.js'))(join(dir, 'functions', `${fn}.cjs`)).handler;
      expect(typeof handlers[fn]).toBe('function');
    }
    const ctx = (ms: number) => ({ getRemainingTimeInMillis: () => ms, functionName: 'f', awsRequestId: 'r' });
    expect((await handlers.admin!({ node: 'src', command: 'create-root' }, ctx(30_000))).ok).toBe(true);
    const added = await handlers.admin!({ node: 'src', command: 'add-table', args: ['b'] }, ctx(30_000));
    expect(added.log).toEqual([{ level: 'INFO', message: 'Table added: public.b' }]);
    expect(await handlers.ticker!({}, ctx(3_500))).toMatchObject({ ok: true });
    expect(await handlers.consumer!({ node: 'src' }, ctx(30_000))).toMatchObject({ ok: false, error: 'Node "src" is a root: only branches and leaves have consumers' });
  });
});
