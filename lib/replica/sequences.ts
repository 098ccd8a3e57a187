import type pg from 'pg';

/**
 * Moves each sequence replicated on this leaf forward to at least the
 * provider's current value, never back (pgq.seq_setval). Values in rows
 * already applied were drawn before the provider's value was read, so the
 * subscriber can never hand out a value the provider has used.
 * Returns the sequences that moved.
 */
export async function syncSequences(provider: pg.ClientBase, subscriber: pg.ClientBase, queue: string): Promise<string[]> {
  const local = await subscriber.query('select seq_name from lambdiste.seq_info where seq_queue = $1', [queue]);
  if (local.rowCount === 0) return [];
  const remote = await provider.query('select seq_name, last_value from lambdiste.get_seq_list($1)', [queue]);
  const values = new Map(remote.rows.map((r) => [r.seq_name as string, r.last_value as string | null]));
  const moved: string[] = [];
  for (const { seq_name } of local.rows) {
    const v = values.get(seq_name);
    if (v === undefined || v === null) continue;
    const { rows } = await subscriber.query(
      `with cur as (select pgq.seq_getval($1) as before)
       select before, pgq.seq_setval($1, $2::bigint) as after from cur`,
      [seq_name, v],
    );
    await subscriber.query(
      'update lambdiste.seq_info set seq_last_value = $3 where seq_queue = $1 and seq_name = $2',
      [queue, seq_name, rows[0].after],
    );
    if (rows[0].before !== rows[0].after) moved.push(seq_name);
  }
  return moved;
}
