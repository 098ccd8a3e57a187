import { describe, expect, it } from 'vitest';
import { createQueue, insertEvent, registerConsumer, setQueueConfig } from '../../lib/queue/api.ts';
import { runTicker } from '../../lib/queue/ticker.ts';
import { client } from '../helpers/db.ts';
import { queueDb, takeAll, tickNow } from '../helpers/queue.ts';

describe('ticker rules', () => {
  it('does not tick a paused queue', async () => {
    const { db } = await queueDb('paused');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'ticker_paused', true);
    await setQueueConfig(db, 'q', 'ticker_idle_period', '0');
    expect(Number((await db.query('select pgq.ticker() as n')).rows[0].n)).toBe(0);
  });

  it('refuses to tick in a REPEATABLE READ transaction', async () => {
    const { db } = await queueDb('rr');
    await createQueue(db, 'q');
    await db.query('begin isolation level repeatable read');
    await expect(db.query(`select pgq.ticker('q')`)).rejects.toThrow(/must run in a READ COMMITTED transaction/);
    await db.query('rollback');
  });

  it('keeps ticks unique and ordered when tickers run at once', async () => {
    const { db, url } = await queueDb('race');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'ticker_max_lag', '0');
    await registerConsumer(db, 'q', 'c');
    const tickers = await Promise.all([client(url), client(url), client(url)]);
    const writer = await client(url);
    let writing = true;
    let written = 0;
    const writes = (async () => {
      while (writing) {
        await insertEvent(writer, 'q', { type: 't', data: String(written++) });
      }
    })();
    await Promise.all(tickers.map(async (t) => {
      for (let i = 0; i < 60; i++) await t.query('select pgq.ticker()');
    }));
    writing = false;
    await writes;
    await tickNow(db, 'q');
    const { rows } = await db.query(
      `select tick_id, pg_snapshot_xmax(tick_snapshot)::text::bigint as xmax, tick_time from pgq.tick order by tick_id`,
    );
    for (let i = 1; i < rows.length; i++) {
      expect(Number(rows[i].tick_id)).toBeGreaterThan(Number(rows[i - 1].tick_id));
      expect(Number(rows[i].xmax)).toBeGreaterThanOrEqual(Number(rows[i - 1].xmax));
    }
    const seen = (await takeAll(db, 'q', 'c')).flat();
    expect(seen.length).toBe(written);
    expect(new Set(seen).size).toBe(written);
  });
});

describe('the ticker routine', () => {
  it('ticks every period, runs maintenance, calls afterTick and stops before its deadline', async () => {
    const { db } = await queueDb('routine');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'ticker_idle_period', '0');
    const deadline = Date.now() + 1200;
    let hooks = 0;
    const r = await runTicker(db, { deadline, tickPeriodMs: 50, maintPeriodMs: 400, safetyMs: 100, afterTick: async () => { hooks++; } });
    expect(Date.now()).toBeLessThan(deadline);
    expect(r.rounds).toBeGreaterThan(5);
    expect(hooks).toBe(r.rounds);
    expect(r.ticks).toBeGreaterThan(0);
  });

  it('backs off while the queue is idle and returns early then, when asked to', async () => {
    const { db } = await queueDb('idle');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'ticker_idle_period', '1 hour');
    // A second tick at once (a single tick has no gap to back off from), so the gaps start small.
    await db.query(`select pgq.ticker('q')`);
    const started = Date.now();
    const r = await runTicker(db, { deadline: Date.now() + 30_000, tickPeriodMs: 20, idleExitMs: 600 });
    expect(r.idle).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    // PgQ's idle rule: each gap at least twice the one before, and at least half of max_lag.
    const { rows } = await db.query(`select extract(epoch from tick_time - lag(tick_time) over (order by tick_id)) * 1000 as gap
                                       from pgq.tick order by tick_id`);
    const gaps = rows.slice(2).map((g) => Number(g.gap));
    expect(r.ticks).toBe(rows.length - 2);
    expect(gaps.length).toBeGreaterThan(0);
    for (let i = 0; i < gaps.length; i++) {
      expect(gaps[i]).toBeGreaterThanOrEqual(125);
      if (i > 0) expect(gaps[i]).toBeGreaterThanOrEqual(2 * gaps[i - 1]! - 1);
    }
  });

  it('stops when aborted', async () => {
    const { db } = await queueDb('abort');
    await createQueue(db, 'q');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const started = Date.now();
    await runTicker(db, { deadline: Date.now() + 60_000, tickPeriodMs: 1000, signal: ac.signal });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
