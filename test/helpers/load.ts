/** A load on a root while its leaf applies, and the CLI run in process: for the operations' tests. */
import type { NodeConfig } from '../../lib/admin/types.ts';
import { main } from '../../lib/cli/main.ts';
import { connect } from '../../lib/db/connect.ts';
import { consume, tick } from './nodes.ts';
import { writeIni } from './process.ts';

export interface Load {
  /** Transactions committed so far. */
  done(): number;
  /** Waits until at least `n` more transactions have committed. */
  more(n: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Writes on the root in a loop (inserts, updates, deletes of rows with
 * id > 100, so rows 1..100 are left alone) while the leaf is ticked and
 * consumed in another loop (or `round` is run in it: the Lambda
 * functions, say), until stopped.
 */
export function startLoad(
  root: NodeConfig, leaf: NodeConfig, table = 'public.t', opts: { apply?: boolean; round?: () => Promise<void> } = {},
): Load {
  let stopped = false;
  let n = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  const writer = (async () => {
    const db = await connect(root.db);
    try {
      let i = 0;
      while (!stopped) {
        i++;
        await db.query(`begin;
          insert into ${table} (id, v, n) values (${100_000 + i}, 'new ${i}', ${i}) on conflict (id) do nothing;
          update ${table} set v = v || '.', n = n + 1 where id = ${101 + (i * 7919) % 19_000};
          delete from ${table} where id = ${101 + (i * 104_729) % 19_000};
          commit`);
        n++;
        for (const w of waiters.filter((w) => n >= w.at)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    } finally {
      await db.end();
    }
  })();
  const applier = opts.apply === false ? Promise.resolve() : (async () => {
    while (!stopped) {
      if (opts.round) {
        await opts.round();
        continue;
      }
      await tick(root);
      await consume(root, leaf);
    }
  })();
  return {
    done: () => n,
    more: (k) => new Promise((resolve) => waiters.push({ at: n + k, resolve })),
    stop: async () => {
      stopped = true;
      await Promise.all([writer, applier]);
    },
  };
}

/** The CLI, in process: exit code, stdout and stderr. */
export async function cli(config: NodeConfig, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([writeIni(config), ...args], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

