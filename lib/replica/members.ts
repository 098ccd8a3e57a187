import type pg from 'pg';

/**
 * Copies the provider's member list of the queue onto the subscriber,
 * replacing its own (lambdiste.member): the root's list is the original,
 * and each subscriber copies its provider's after every consumer run, so
 * that every node can draw the tree and a branch still knows the nodes
 * once the root is gone. A provider without a list (nothing registered)
 * leaves the subscriber's as it is. Returns whether anything changed.
 */
export async function syncMembers(provider: pg.ClientBase, subscriber: pg.ClientBase, queue: string): Promise<boolean> {
  const { rows } = await provider.query(
    `select coalesce(json_agg(m order by member_name), '[]')::text as list,
            md5(coalesce(string_agg(m::text, '|' order by member_name), '')) as digest
       from lambdiste.member m where member_queue = $1`,
    [queue],
  );
  const { list, digest } = rows[0] as { list: string; digest: string };
  if (list === '[]') return false;
  const mine = await subscriber.query(
    `select md5(coalesce(string_agg(m::text, '|' order by member_name), '')) as digest
       from lambdiste.member m where member_queue = $1`,
    [queue],
  );
  if (mine.rows[0].digest === digest) return false;
  await subscriber.query('begin');
  try {
    await subscriber.query('delete from lambdiste.member where member_queue = $1', [queue]);
    await subscriber.query(
      `insert into lambdiste.member select * from json_populate_recordset(null::lambdiste.member, $1::json)`,
      [list],
    );
    await subscriber.query('commit');
  } catch (err) {
    await subscriber.query('rollback').catch(() => undefined);
    throw err;
  }
  return true;
}
