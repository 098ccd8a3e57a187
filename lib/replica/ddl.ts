import type pg from 'pg';

/**
 * `add-table --create`: creates a subscriber table from the provider's
 * definition — columns with their types, NOT NULL, generated column
 * expressions and the primary key (what replication needs; other indexes,
 * defaults and constraints are the subscriber's own business, as with
 * Londiste's --create). Types other than built-in ones (enums, domains)
 * must already exist on the subscriber.
 */
export async function createTableLike(provider: pg.ClientBase, subscriber: pg.ClientBase, table: string): Promise<void> {
  const cols = await provider.query(
    `select quote_ident(a.attname) as name, format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as not_null, a.attgenerated as generated,
            pg_get_expr(d.adbin, d.adrelid) as expr
       from pg_attribute a
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [table],
  );
  const pk = await provider.query(
    `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'p'`,
    [table],
  );
  const schema = await provider.query(
    'select quote_ident(n.nspname) as s from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = $1::regclass',
    [table],
  );
  const defs = cols.rows.map((c) =>
    [c.name, c.type, c.generated === 's' ? `generated always as (${c.expr}) stored` : '', c.not_null ? 'not null' : '']
      .filter(Boolean)
      .join(' '),
  );
  if (pk.rows[0]) defs.push(pk.rows[0].def);
  // `table` is the canonical, already-quoted name; so is the schema.
  await subscriber.query(`create schema if not exists ${schema.rows[0].s}`);
  await subscriber.query(`create table ${table} (${defs.join(', ')})`);
}
