import type pg from 'pg';

/** Per subscriber connection, the digest of the member list last copied onto it. */
const copied = new WeakMap<pg.ClientBase, string>();

const DIGEST = `select md5(coalesce(string_agg(m::text, '|' order by member_name), '')) as digest
                  from lambdiste.member m where member_queue = $1`;

/**
 * Copies the provider's member list of the queue onto the subscriber,
 * replacing its own (lambdiste.member): the root's list is the original,
 * and each subscriber copies its provider's after every consumer run, so
 * that every node can draw the tree and a branch still knows the nodes
 * once the root is gone. One query on the provider when nothing changed
 * (a connection kept between runs remembers what it copied). A provider
 * without a list leaves the subscriber's as it is. Returns whether
 * anything changed.
 */
export async function syncMembers(provider: pg.ClientBase, subscriber: pg.ClientBase, queue: string): Promise<boolean> {
  const theirs = (await provider.query(DIGEST, [queue])).rows[0].digest as string;
  if (copied.get(subscriber) === theirs) return false;
  const mine = (await subscriber.query(DIGEST, [queue])).rows[0].digest as string;
  if (mine === theirs) {
    copied.set(subscriber, theirs);
    return false;
  }
  const { rows } = await provider.query(
    `select coalesce(json_agg(m order by member_name), '[]')::text as list from lambdiste.member m where member_queue = $1`,
    [queue],
  );
  if (rows[0].list === '[]') return false;
  await subscriber.query('begin');
  try {
    await subscriber.query('delete from lambdiste.member where member_queue = $1', [queue]);
    await subscriber.query(
      `insert into lambdiste.member select * from json_populate_recordset(null::lambdiste.member, $1::json)`,
      [rows[0].list],
    );
    await subscriber.query('commit');
  } catch (err) {
    await subscriber.query('rollback').catch(() => undefined);
    throw err;
  }
  copied.set(subscriber, theirs);
  return true;
}
