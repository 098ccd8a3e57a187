/**
 * Figure 4's table and measurement, shared by bench/copy.ts (embedded
 * servers) and bench/londiste.ts (Londiste 3 and Lambdiste side by side):
 * the table (about 150 bytes a row), a watcher of the tables' copy states
 * on the subscriber, and Lambdiste's add-table → `ok` run.
 */
import type { NodeConfig } from '../lib/admin/types.ts';
import { connect } from '../lib/db/connect.ts';
import { runConsumer } from '../lib/replica/consumer.ts';
import { cmd, exec } from './common.ts';

export const copyDdl = (t: string) => `create table public.${t} (id bigint primary key, a int, b text, c text, ts timestamptz)`;
export const copyFill = (t: string, n: number) =>
  `insert into ${t} select g, g % 1000, md5(g::text), repeat(md5((g * 7)::text), 2), now() from generate_series(1, ${n}) g`;

export interface CopyTimes {
  /** add-table → every table `ok`, seconds. */
  seconds: number;
  /** add-table → every table past the copy of its rows (neither waiting nor `in-copy`), seconds. */
  copyPhase: number | null;
  /**
   * Seconds from add-table until the least advanced table was first seen in
   * each state (`waiting` for NULL; Londiste's `wanna-sync:<tick>` as
   * `wanna-sync`), as polled every 100 ms.
   */
  states: Record<string, number>;
}

const order = ['waiting', 'in-copy', 'catching-up', 'wanna-sync', 'do-sync', 'ok'];

/**
 * Polls the subscriber every 100 ms with `sql` (one row per table, its
 * state in column `s`) and notes when the least advanced table first reached
 * each state, from `t0` (performance.now()).
 */
export function watchCopyStates(url: string, sql: string, t0: number) {
  let running = true;
  const states: Record<string, number> = {};
  const result = () => {
    const copied = Object.entries(states).filter(([k]) => k !== 'waiting' && k !== 'in-copy').map(([, v]) => v);
    return { states, copied: copied.length ? Math.min(...copied) : null, ok: states.ok ?? null };
  };
  const done = (async () => {
    const db = await connect(url, { serverDefaults: true });
    try {
      while (running && states.ok === undefined) {
        const rows = (await db.query(sql)).rows.map((r) => order.indexOf((r.s as string | null)?.replace(/:.*/, '') ?? 'waiting'));
        if (rows.length > 0) states[order[Math.min(...rows)] ?? 'unknown'] ??= (performance.now() - t0) / 1000;
        if (states.ok === undefined) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await db.end();
    }
  })();
  return {
    /** Resolves once every table is `ok` (or after stop()). */
    done: async () => {
      await done;
      return result();
    },
    stop: async () => {
      running = false;
      await done;
      return result();
    },
  };
}

/**
 * Lambdiste: add-table on the leaf (tables already on both sides, the
 * leaf's empty), then the consumer until no table is pending, forcing a tick
 * between runs as a running ticker would give one.
 */
export async function lambdisteCopy(leaf: NodeConfig, src: string, dst: string, tables: string[], maxParallelCopy?: number): Promise<CopyTimes> {
  const t0 = performance.now();
  const watch = watchCopyStates(dst, `select tbl_merge_state as s from lambdiste.table_info where tbl_queue = '${leaf.queueName}'`, t0);
  try {
    await cmd(leaf, 'add-table', tables, maxParallelCopy === undefined ? {} : { maxParallelCopy });
    for (;;) {
      const r = await runConsumer({ queue: leaf.queueName, consumer: leaf.jobName, providerUrl: src, subscriberUrl: dst, deadline: Date.now() + 600_000 });
      if (r.pendingTables === 0) break;
      await exec(src, `select pgq.force_tick('${leaf.queueName}'); select pgq.ticker('${leaf.queueName}')`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const { copied, states } = await watch.stop();
    return { seconds, copyPhase: copied, states };
  } finally {
    await watch.stop();
  }
}
