import { describe, expect, it } from 'vitest';
import { createDatabase, client } from '../helpers/db.ts';
import { install } from '../../lib/install.ts';

describe('install', () => {
  it('installs the queue and replication schemas into an empty database', async () => {
    const db = await client(await createDatabase('provider', 'install'));
    const res = await install(db);
    expect(res.map((r) => [r.schema, r.mode])).toEqual([['pgq', 'installed'], ['lambdiste', 'installed']]);
    const { rows } = await db.query('select pgq.version() as v');
    expect(rows[0].v).toMatch(/^3\.5\.0\+lambdiste\./);
  });
});
