/**
 * Staging a batch: the binary COPY stream cut into rows whatever the
 * pieces it arrives in, and a stream stopped early: the provider's COPY is
 * cancelled and its connection is fit for use again.
 */
import { describe, expect, it } from 'vitest';
import { finished } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { copyRows } from '../../lib/replica/binary-copy.ts';
import { stageEvents } from '../../lib/replica/stage.ts';
import { client, createDatabase } from '../helpers/db.ts';

const events = (n: number, size: number) =>
  `select g::bigint as ev_id, 'I'::text as ev_type, repeat(md5(g::text), ${size / 32}) as ev_data, 'public.t'::text as ev_extra1
     from generate_series(1, ${n}) g order by g`;

async function binaryCopy(db: import('pg').ClientBase, query: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const s = db.query(copyTo(`copy (${query}) to stdout (format binary)`));
  s.on('data', (b: Buffer) => parts.push(b));
  await finished(s);
  return Buffer.concat(parts);
}

describe('binary COPY rows', () => {
  it('finds every row and its leading bigint, however the stream is cut', async () => {
    const db = await client(await createDatabase('provider', 'copyrows'));
    const whole = await binaryCopy(db, `select * from (${events(300, 64)}) e union all select 301, null, null, null`);
    for (const cut of [1, 2, 7, 19, 64, 1000, whole.length]) {
      async function* pieces() {
        for (let i = 0; i < whole.length; i += cut) yield whole.subarray(i, i + cut);
      }
      const ids: bigint[] = [];
      let bytes = 0;
      for await (const row of copyRows(pieces())) {
        ids.push(row.first!);
        bytes += row.bytes.length;
      }
      expect(ids).toEqual(Array.from({ length: 301 }, (_, i) => BigInt(i + 1)));
      // Every byte but the header (19) and the trailer (2) belongs to a row.
      expect(bytes).toBe(whole.length - 21);
    }
    async function* truncated() {
      yield whole.subarray(0, whole.length - 10);
    }
    await expect(async () => {
      for await (const _ of copyRows(truncated())) void _;
    }).rejects.toThrow('ended before its trailer');
  });
});

describe('stageEvents', () => {
  it('stops after a chunk, cancels the rest of the COPY, and leaves the provider usable', async () => {
    const provider = await client(await createDatabase('provider', 'stage_src'));
    const subscriber = await client(await createDatabase('subscriber', 'stage_dst'));
    await subscriber.query('create temp table lambdiste_batch (ev_id bigint, ev_type text, ev_data text, ev_extra1 text)');
    await subscriber.query('begin');
    const chunks: number[] = [];
    // 200,000 events of 1 KB: far more than is sent before the cancel arrives.
    const r = await stageEvents(provider, subscriber, events(200_000, 1024), { events: 1000, bytes: 2 ** 30 }, async (chunk) => {
      const { rows } = await subscriber.query('select count(*)::int as n, max(ev_id)::int as last from pg_temp.lambdiste_batch');
      chunks.push(rows[0].n);
      expect(rows[0].last).toBe(chunk.lastEventId);
      await subscriber.query('truncate pg_temp.lambdiste_batch');
      return chunks.length < 2;
    });
    await subscriber.query('commit');
    expect(r).toEqual({ events: 2000, stopped: true });
    expect(chunks).toEqual([1000, 1000]);
    expect((await provider.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    expect((await provider.query(`select current_setting('transaction_read_only') as ro`)).rows).toEqual([{ ro: 'off' }]);
  });

  it('passes an error of the apply on, and leaves the provider usable', async () => {
    const provider = await client(await createDatabase('provider', 'stage_err'));
    const subscriber = await client(await createDatabase('subscriber', 'stage_err'));
    await subscriber.query('create temp table lambdiste_batch (ev_id bigint, ev_type text, ev_data text, ev_extra1 text)');
    await expect(stageEvents(provider, subscriber, events(100_000, 1024), { events: 500, bytes: 2 ** 30 }, async () => {
      throw new Error('apply failed');
    })).rejects.toThrow('apply failed');
    expect((await provider.query('select 2 as ok')).rows).toEqual([{ ok: 2 }]);
  });
});
