import { describe, expect, it } from 'vitest';
import { queuePair, transcript, value, type Outcome } from '../helpers/pgq-ref.ts';

/**
 * Lambdiste's queue against PgQ 3.5. Every scenario runs on Lambdiste's
 * queue; where the provider server has the real extension (Debian's
 * postgresql-NN-pgq3, as CI's PostgreSQL 15 does) it runs there too and the
 * two transcripts (every row as the server printed it, every error and
 * warning) must be equal. The assertions after each comparison hold on
 * Lambdiste's queue alone, for servers without the extension.
 */

/** PgQ 3.5's functions: signature with parameter names, result, and whether a security definer. */
const PGQ_API = [
  'pgq._grant_perms_from(src_schema text, src_table text, dst_schema text, dst_table text) integer',
  'pgq.batch_event_sql(x_batch_id bigint) text',
  'pgq.batch_event_tables(x_batch_id bigint) SETOF text',
  'pgq.batch_retry(i_batch_id bigint, i_retry_seconds integer) integer definer',
  'pgq.create_queue(i_queue_name text) integer definer',
  'pgq.current_event_table(x_queue_name text) text',
  'pgq.drop_queue(x_queue_name text) integer',
  'pgq.drop_queue(x_queue_name text, x_force boolean) integer definer',
  'pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_seconds integer) integer definer',
  'pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_time timestamp with time zone) integer definer',
  'pgq.event_retry_raw(x_queue text, x_consumer text, x_retry_after timestamp with time zone, x_ev_id bigint, x_ev_time timestamp with time zone, x_ev_retry integer, x_ev_type text, x_ev_data text, x_ev_extra1 text, x_ev_extra2 text, x_ev_extra3 text, x_ev_extra4 text) bigint definer',
  'pgq.find_tick_helper(i_queue_id integer, i_prev_tick_id bigint, i_prev_tick_time timestamp with time zone, i_prev_tick_seq bigint, i_min_count bigint, i_min_interval interval, OUT next_tick_id bigint, OUT next_tick_time timestamp with time zone, OUT next_tick_seq bigint) record',
  'pgq.finish_batch(x_batch_id bigint) integer definer',
  'pgq.force_tick(i_queue_name text) bigint definer',
  'pgq.get_batch_cursor(i_batch_id bigint, i_cursor_name text, i_quick_limit integer, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text) SETOF record',
  'pgq.get_batch_cursor(i_batch_id bigint, i_cursor_name text, i_quick_limit integer, i_extra_where text, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text) SETOF record',
  'pgq.get_batch_events(x_batch_id bigint, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text) SETOF record',
  'pgq.get_batch_info(x_batch_id bigint, OUT queue_name text, OUT consumer_name text, OUT batch_start timestamp with time zone, OUT batch_end timestamp with time zone, OUT prev_tick_id bigint, OUT tick_id bigint, OUT lag interval, OUT seq_start bigint, OUT seq_end bigint) record definer',
  'pgq.get_consumer_info(OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint) SETOF record definer',
  'pgq.get_consumer_info(i_queue_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint) SETOF record definer',
  'pgq.get_consumer_info(i_queue_name text, i_consumer_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint) SETOF record definer',
  'pgq.get_queue_info(OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint) SETOF record',
  'pgq.get_queue_info(i_queue_name text, OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint) SETOF record',
  'pgq.grant_perms(x_queue_name text) integer definer',
  'pgq.insert_event(queue_name text, ev_type text, ev_data text) bigint',
  'pgq.insert_event(queue_name text, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text) bigint definer',
  'pgq.insert_event_raw(queue_name text, ev_id bigint, ev_time timestamp with time zone, ev_owner integer, ev_retry integer, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text) bigint',
  'pgq.jsontriga() trigger',
  'pgq.logutriga() trigger',
  'pgq.maint_operations(OUT func_name text, OUT func_arg text) SETOF record',
  'pgq.maint_retry_events() integer',
  'pgq.maint_rotate_tables_step1(i_queue_name text) integer',
  'pgq.maint_rotate_tables_step2() integer',
  'pgq.maint_tables_to_vacuum() SETOF text',
  'pgq.next_batch(i_queue_name text, i_consumer_name text) bigint',
  'pgq.next_batch_custom(i_queue_name text, i_consumer_name text, i_min_lag interval, i_min_count integer, i_min_interval interval, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint) record definer',
  'pgq.next_batch_info(i_queue_name text, i_consumer_name text, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint) record',
  'pgq.quote_fqname(i_name text) text',
  'pgq.register_consumer(x_queue_name text, x_consumer_id text) integer definer',
  'pgq.register_consumer_at(x_queue_name text, x_consumer_name text, x_tick_pos bigint) integer definer',
  'pgq.seq_getval(i_seq_name text) bigint',
  'pgq.seq_setval(i_seq_name text, i_new_value bigint) bigint',
  'pgq.set_queue_config(x_queue_name text, x_param_name text, x_param_value text) integer definer',
  'pgq.sqltriga() trigger',
  'pgq.ticker() bigint definer',
  'pgq.ticker(i_queue_name text) bigint definer',
  'pgq.ticker(i_queue_name text, i_tick_id bigint, i_orig_timestamp timestamp with time zone, i_event_seq bigint) bigint definer',
  'pgq.tune_storage(i_queue_name text) integer',
  'pgq.unregister_consumer(x_queue_name text, x_consumer_name text) integer definer',
  'pgq.upgrade_schema() integer',
  'pgq.version() text',
];

const SIGNATURES = `select 'pgq.' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') '
    || pg_get_function_result(p.oid) || case when p.prosecdef then ' definer' else '' end as f
  from pg_proc p where p.pronamespace = 'pgq'::regnamespace order by 1`;

const find = (t: Outcome[], sql: string, nth = 0): Outcome => {
  const o = t.filter((x) => x.sql === sql)[nth];
  if (!o) throw new Error(`no step ${sql}`);
  return o;
};
const rows = (t: Outcome[], sql: string, nth = 0) => find(t, sql, nth).rows;
const one = (t: Outcome[], sql: string, nth = 0) => find(t, sql, nth).rows?.[0]?.[0];

/** FETCH returns whole events: their time and transaction id differ from one server to the other. */
const stable = (t: Outcome[]): Outcome[] =>
  t.map((o) => (/^fetch /.test(o.sql) && o.rows ? { ...o, rows: o.rows.map((r) => [r[0]!, ...r.slice(3)]) } : o));

/** Runs a scenario on both queues and returns Lambdiste's transcript, after comparing it with PgQ's. */
async function compare(prefix: string, statements: string[], opts: { oursSearchPath?: string } = {}) {
  const { ours, ref } = await queuePair(prefix);
  if (opts.oursSearchPath) await ours.query(`set search_path = ${opts.oursSearchPath}`);
  const mine = stable(await transcript(ours, statements));
  if (ref) expect(mine).toEqual(stable(await transcript(ref, statements)));
  return mine;
}

describe('PgQ 3.5 compatibility', () => {
  it('has every function of PgQ 3.5 with its signature, parameter names and security definer status', async () => {
    const { ours, ref } = await queuePair('compat_api');
    const mine = (await ours.query(SIGNATURES)).rows.map((r) => r.f as string);
    if (ref) expect((await ref.query(SIGNATURES)).rows.map((r) => r.f)).toEqual(PGQ_API);
    expect(PGQ_API.filter((f) => !mine.includes(f))).toEqual([]);
    // Everything else is internal: a leading underscore, or the isolation guard.
    const extra = mine.filter((f) => !PGQ_API.includes(f));
    expect(extra.filter((f) => !/^pgq\._|^pgq\.require_read_committed\(/.test(f))).toEqual([]);
  });

  it('replays a consumer\'s life as PgQ does: batches, finish twice, custom batches, cursors, retries, maintenance', async () => {
    const steps = [
      'select pgq.maint_retry_events()',
      "select pgq.create_queue('tq')",
      "select pgq.create_queue('tq')",
      "select pgq.register_consumer('tq', 'c')",
      "select pgq.register_consumer('tq', 'c')",
      "select pgq.unregister_consumer('tq', 'c')",
      "select pgq.unregister_consumer('tq', 'c')",
      "select pgq.drop_queue('tq')",
      "select pgq.create_queue('q')",
      "select pgq.register_consumer('q', 'c')",
      "select pgq.set_queue_config('q', 'ticker_max_lag', '0')",
      "select pgq.set_queue_config('q', 'ticker_idle_period', '0')",
      "select * from pgq.next_batch_info('q', 'c')",
      'select pgq.ticker()',
      "select batch_id, cur_tick_id, prev_tick_id, cur_tick_event_seq, prev_tick_event_seq from pgq.next_batch_info('q', 'c')",
      "select pgq.next_batch('q', 'c')",
      "select queue_name, consumer_name, prev_tick_id, tick_id, seq_start, seq_end, lag >= '0' from pgq.get_batch_info(1)",
      'select queue_name, queue_ntables, queue_cur_table, queue_rotation_period, queue_external_ticker,'
        + ' queue_ticker_paused, queue_ticker_max_count, queue_ticker_max_lag, queue_ticker_idle_period, ev_new, last_tick_id'
        + ' from pgq.get_queue_info()',
      'select queue_name, consumer_name, last_tick, current_batch, next_tick, pending_events from pgq.get_consumer_info()',
      "select queue_name, consumer_name from pgq.get_consumer_info('q', 'c')",
      'select pgq.finish_batch(1)',
      'select pgq.finish_batch(1)',
      'select * from pgq.get_batch_info(1)',
      "select pgq.insert_event('q', 'r1', 'data')",
      "select pgq.insert_event('q', 'r2', 'data', 'extra1', 'extra2', 'extra3', 'extra4')",
      "select pgq.insert_event('q', 'r3', 'data')",
      "select pgq.current_event_table('q')",
      'select ev_new from pgq.get_queue_info()',
      'select pgq.ticker()',
      "select batch_id, cur_tick_id, prev_tick_id from pgq.next_batch_custom('q', 'c', '1 hour', null, null)",
      "select batch_id, cur_tick_id from pgq.next_batch_custom('q', 'c', null, 10000, null)",
      "select batch_id, cur_tick_id from pgq.next_batch_custom('q', 'c', null, null, '10 minutes')",
      "select batch_id, cur_tick_id, prev_tick_id, cur_tick_event_seq, prev_tick_event_seq from pgq.next_batch_custom('q', 'c', null, 1, null)",
      "select pgq.next_batch('q', 'c')",
      'select ev_id, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4 from pgq.get_batch_events(2)',
      'begin',
      "select ev_id, ev_type from pgq.get_batch_cursor(2, 'cur_a', 10)",
      'close cur_a',
      "select ev_id, ev_type from pgq.get_batch_cursor(2, 'cur_a', 2)",
      'fetch 10 from cur_a',
      'close cur_a',
      "select ev_id, ev_type from pgq.get_batch_cursor(2, 'cur_a', 5, 'ev_id > 1 and ev_type <> ''r3''')",
      'close cur_a',
      "select ev_id from pgq.get_batch_cursor(2, 'cur_a', 0)",
      'fetch all from cur_a',
      'commit',
      "select * from pgq.get_batch_cursor(null, 'cur_b', 10)",
      'select pgq.event_retry(2, 2, 0)',
      'select pgq.event_retry(2, 2, 0)',
      "select pgq.event_retry(2, 2, now() + '1 hour')",
      'select pgq.batch_retry(2, 0)',
      'select pgq.finish_batch(2)',
      "select pgq.event_retry_raw('q', 'c', now(), 666, now(), 0, 'rawtest', 'data', null, null, null, null)",
      "select pgq.event_retry_raw('q', 'c', now() + '1 hour', null, now(), 5, 'later', null, 'x1', null, null, 'x4')",
      'select ev_id, ev_owner, ev_retry, ev_type, ev_data, ev_extra1, ev_extra4, ev_txid is null from pgq.retry_queue order by ev_id',
      'select pgq.maint_retry_events()',
      'select pgq.maint_retry_events()',
      'select count(*) from pgq.retry_queue',
      'select pgq.ticker()',
      "select pgq.next_batch('q', 'c')",
      'select ev_id, ev_retry, ev_type, ev_data from pgq.get_batch_events(3)',
      'select pgq.finish_batch(3)',
      // Before any rotation, which deletes old ticks (when it runs depends on other sessions' transactions).
      "select pgq.register_consumer_at('q', 'c2', 1)",
      "select pgq.register_consumer_at('q', 'c2', 2)",
      "select consumer_name, last_tick from pgq.get_consumer_info('q')",
      'select * from pgq.maint_operations()',
      "select pgq.set_queue_config('q', 'rotation_period', '0')",
      'select * from pgq.maint_operations()',
      "select pgq.maint_rotate_tables_step1('q')",
      'select pgq.maint_rotate_tables_step2()',
      "select pgq.maint_rotate_tables_step1('nope')",
      // PgQ's force_tick: the event sequence jumps by max_count * 2 + 1000.
      "select nextval(queue_event_seq) from pgq.queue where queue_name = 'q'",
      "select pgq.force_tick('q')",
      "select nextval(queue_event_seq) from pgq.queue where queue_name = 'q'",
      "select pgq.force_tick('nope')",
      "select pgq.ticker('q') is not null",
      "update pgq.queue set queue_extra_maint = array['baz', 'foo.bar']",
      'select * from pgq.maint_operations()',
      'create sequence public.compat_seq',
      "select pgq.seq_getval('compat_seq')",
      "select pgq.seq_setval('compat_seq', 10)",
      "select pgq.seq_setval('public.compat_seq', 5)",
      "select pgq.seq_getval('public.compat_seq')",
      "select pgq.quote_fqname('Odd.Name.x'), pgq.quote_fqname('plain')",
      "select pgq.drop_queue('q')",
      "select pgq.drop_queue('q', true)",
      'select count(*) from pgq.consumer',
    ];
    const mine = await compare('compat_core', steps);
    // finish_batch of a finished batch: PgQ's warning, and 0.
    expect(rows(mine, 'select pgq.finish_batch(1)')).toEqual([['1']]);
    expect(find(mine, 'select pgq.finish_batch(1)', 1)).toEqual({
      sql: 'select pgq.finish_batch(1)', rows: [['0']], notices: ['WARNING: finish_batch: batch 1 not found'],
    });
    expect(rows(mine, 'select * from pgq.get_batch_info(1)')).toEqual([[null, null, null, null, null, null, null, null, null]]);
    // Three events, of which the sequence shows two: a fresh sequence's last_value is already 1.
    expect(one(mine, 'select ev_new from pgq.get_queue_info()')).toBe('2');
    expect(rows(mine, 'select ev_id, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4 from pgq.get_batch_events(2)')).toEqual([
      ['1', null, 'r1', 'data', null, null, null, null],
      ['2', null, 'r2', 'data', 'extra1', 'extra2', 'extra3', 'extra4'],
      ['3', null, 'r3', 'data', null, null, null, null],
    ]);
    expect(rows(mine, "select ev_id, ev_type from pgq.get_batch_cursor(2, 'cur_a', 5, 'ev_id > 1 and ev_type <> ''r3''')")).toEqual([['2', 'r2']]);
    expect(rows(mine, 'fetch 10 from cur_a')).toEqual([['3', null, 'r3', 'data', null, null, null, null]]);
    expect(rows(mine, 'fetch all from cur_a')!.map((r) => r[0])).toEqual(['1', '2', '3']);
    expect(rows(mine, "select * from pgq.get_batch_cursor(null, 'cur_b', 10)")).toEqual([]);
    expect([one(mine, 'select pgq.event_retry(2, 2, 0)'), one(mine, 'select pgq.event_retry(2, 2, 0)', 1)]).toEqual(['1', '0']);
    expect(one(mine, 'select pgq.batch_retry(2, 0)')).toBe('2');
    expect(rows(mine, 'select ev_id, ev_retry, ev_type, ev_data from pgq.get_batch_events(3)')).toEqual([
      ['1', '1', 'r1', 'data'], ['2', '1', 'r2', 'data'], ['3', '1', 'r3', 'data'], ['666', '0', 'rawtest', 'data'],
    ]);
    expect(one(mine, 'select count(*) from pgq.retry_queue')).toBe('1'); // the one due in an hour
    // Rotation reports 0 (pgqd's "no need to call again"), whether it rotated or not.
    expect(one(mine, "select pgq.maint_rotate_tables_step1('q')")).toBe('0');
    const seq = "select nextval(queue_event_seq) from pgq.queue where queue_name = 'q'";
    expect(Number(one(mine, seq, 1)) - Number(one(mine, seq))).toBe(500 * 2 + 1000 + 2);
    const ops = rows(mine, 'select * from pgq.maint_operations()', 2)!.map((r) => r[0]).filter((f) => f !== 'vacuum');
    expect(ops).toEqual(['pgq.maint_rotate_tables_step1', 'pgq.maint_rotate_tables_step2', 'baz', 'foo.bar']);
    expect(find(mine, "select pgq.drop_queue('q')").error).toBe('cannot drop queue, consumers still attached');
    expect(one(mine, 'select count(*) from pgq.consumer')).toBe('0');
  });

  it('takes events written straight into current_event_table, with ids from the queue\'s sequence', async () => {
    const direct = (data: string) => `do $$ begin execute format('insert into %s (ev_time, ev_type, ev_data, ev_extra1)'
        ' values (now(), ''direct'', ''${data}'', ''e1'')', pgq.current_event_table('q')); end $$`;
    const steps = [
      "select pgq.create_queue('q')", "select pgq.register_consumer('q', 'c')",
      "select pgq.insert_event('q', 'api', 'one')", direct('two'), direct('three'),
      "select pgq.force_tick('q')", "select pgq.ticker('q')", "select pgq.next_batch('q', 'c')",
      'select ev_id, ev_retry, ev_type, ev_data, ev_extra1 from pgq.get_batch_events(1)',
    ];
    const mine = await compare('compat_direct', steps);
    expect(rows(mine, 'select ev_id, ev_retry, ev_type, ev_data, ev_extra1 from pgq.get_batch_events(1)')).toEqual([
      ['1', null, 'api', 'one', null], ['2', null, 'direct', 'two', 'e1'], ['3', null, 'direct', 'three', 'e1']]);
  });

  it('works the same under Lambdiste\'s session search_path (pg_catalog, pg_temp)', async () => {
    const steps = [
      "select pgq.create_queue('q')", "select pgq.register_consumer('q', 'c')",
      "select pgq.insert_event('q', 't', 'd', 'e1', null, null, null)", "select pgq.force_tick('q')", "select pgq.ticker('q')",
      "select pgq.next_batch('q', 'c')", 'select ev_id, ev_type, ev_data, ev_extra1 from pgq.get_batch_events(1)',
      'begin', "select ev_id from pgq.get_batch_cursor(1, 'c1', 10, 'ev_extra1 = ''e1''')", 'commit',
      'select pgq.event_retry(1, 1, 0)', 'select pgq.finish_batch(1)', 'select pgq.maint_retry_events()',
      "select pgq.set_queue_config('q', 'rotation_period', '0')",
      "select pgq.maint_rotate_tables_step1('q')", 'select pgq.maint_rotate_tables_step2()',
      "select func_name, func_arg from pgq.maint_operations() where func_name <> 'vacuum'",
      "select queue_name, ev_new from pgq.get_queue_info('q')", "select consumer_name, pending_events from pgq.get_consumer_info('q')",
      "select pgq.unregister_consumer('q', 'c')", "select pgq.drop_queue('q')",
    ];
    const mine = await compare('compat_path', steps, { oursSearchPath: 'pg_catalog, pg_temp' });
    expect(mine.filter((o) => o.error)).toEqual([]);
    expect(rows(mine, 'select ev_id, ev_type, ev_data, ev_extra1 from pgq.get_batch_events(1)')).toEqual([['1', 't', 'd', 'e1']]);
  });

  it('refuses what PgQ refuses, with PgQ\'s messages', async () => {
    const steps = [
      "select pgq.create_queue('q')",
      "select pgq.insert_event('nope', 't', 'd')",
      "select pgq.insert_event(null, 't', 'd')",
      "select pgq.next_batch('nope', 'c')",
      "select pgq.next_batch('q', 'stranger')",
      "select pgq.register_consumer('nope', 'c')",
      "select pgq.register_consumer_at('q', 'c', 999)",
      'select * from pgq.get_batch_events(424242)',
      'select pgq.event_retry(424242, 1, 0)',
      'select pgq.batch_retry(424242, 0)',
      "select pgq.ticker('nope')",
      "select pgq.drop_queue('nope')",
      "select pgq.set_queue_config('nope', 'ticker_max_count', '1')",
      "select pgq.set_queue_config('q', 'bogus', '1')",
      "select pgq.set_queue_config('q', null, '1')",
      "select pgq.current_event_table('nope')",
      "select pgq.event_retry_raw('q', 'nobody', now(), 1, now(), 0, 't', 'd', null, null, null, null)",
      'select pgq.create_queue(null)',
      "select pgq.ticker('q', 5, now(), 5)",
      'select * from pgq.batch_event_tables(424242)',
      'select pgq.batch_event_sql(424242)',
      "select * from pgq.get_batch_cursor(424242, 'c', 10)",
      "select * from pgq.get_queue_info('nope')",
      "select * from pgq.get_consumer_info('nope')",
      "select pgq.unregister_consumer('nope', 'c')",
      "select pgq.register_consumer('q', 'c')",
      "select pgq.next_batch('q', 'c')",
      'select pgq.event_retry(1, 999, 0)',
      "select pgq.set_queue_config('q', 'ticker_paused', 'true')",
      "select pgq.ticker('q')",
      'select pgq.ticker()',
      "select pgq.force_tick('q')",
      "select pgq.set_queue_config('q', 'external_ticker', 'true')",
      "select pgq.set_queue_config('q', 'ticker_paused', 'false')",
      "select pgq.ticker('q')",
      "select pgq.ticker('q', 5, now(), 7)",
      'select tick_id, tick_event_seq from pgq.tick order by tick_id desc limit 1',
      "select pgq.seq_getval(queue_tick_seq), pgq.seq_getval(queue_event_seq) from pgq.queue where queue_name = 'q'",
    ];
    const mine = await compare('compat_errors', steps);
    const errors = Object.fromEntries(mine.filter((o) => o.error).map((o) => [o.sql, o.error]));
    expect(errors).toMatchObject({
      "select pgq.insert_event('nope', 't', 'd')": 'No such queue',
      "select pgq.next_batch('q', 'stranger')": 'Not subscriber to queue: q/stranger',
      "select pgq.register_consumer('nope', 'c')": 'Event queue not created yet',
      "select pgq.register_consumer_at('q', 'c', 999)": 'cannot reposition, tick not found: 999',
      'select * from pgq.get_batch_events(424242)': 'batch not found',
      'select pgq.batch_retry(424242, 0)': 'batch_retry: batch 424242 not found',
      "select pgq.set_queue_config('q', 'bogus', '1')": 'cannot change parameter "boguss"',
    });
    expect(find(mine, "select pgq.ticker('q')").error).toBe('Ticker has been paused for this queue');
    expect(find(mine, "select pgq.ticker('q')", 1).error).toBe('This queue has external tick source.');
    expect(one(mine, "select pgq.unregister_consumer('nope', 'c')")).toBe('0');
    expect(rows(mine, "select * from pgq.get_queue_info('nope')")).toEqual([]);
    expect(one(mine, 'select pgq.ticker()')).toBe('0');
    expect(rows(mine, "select pgq.seq_getval(queue_tick_seq), pgq.seq_getval(queue_event_seq) from pgq.queue where queue_name = 'q'")).toEqual([['5', '7']]);
  });

  it('refuses inserts into a disabled queue except for replicas, drawing event ids as PgQ does', async () => {
    const steps = [
      "select pgq.create_queue('on')", "select pgq.create_queue('off')",
      "select pgq.set_queue_config('off', 'disable_insert', 'true')",
      "update pgq.queue set queue_disable_insert = true where queue_name = 'off'",
      ...['origin', 'replica', 'local', 'origin'].flatMap((r) => [
        `set session_replication_role = ${r}`,
        `select pgq.insert_event('on', 'enabled', 'role:${r}')`,
        `select pgq.insert_event('off', 'disabled', 'role:${r}')`,
        "select pgq.current_event_table('off')",
      ]),
      'reset session_replication_role',
      'select ev_id, ev_data from pgq.event_template order by ev_type, ev_id',
    ];
    const mine = await compare('compat_disabled', steps);
    // Not a setting of set_queue_config, in PgQ either.
    expect(find(mine, "select pgq.set_queue_config('off', 'disable_insert', 'true')").error).toBe('cannot change parameter "disable_inserts"');
    const off = mine.filter((o) => o.sql.startsWith("select pgq.insert_event('off'"));
    expect(off.map((o) => o.error ?? o.rows![0]![0])).toEqual(['Insert into queue disallowed', '2', 'Insert into queue disallowed', 'Insert into queue disallowed']);
    expect(mine.filter((o) => o.sql === "select pgq.current_event_table('off')").map((o) => o.error ?? 'ok'))
      .toEqual(['Writing to queue disabled', 'ok', 'Writing to queue disabled', 'Writing to queue disabled']);
  });

  it('enforces queue_per_tx_limit per transaction, with PgQ\'s message', async () => {
    const tx = (n: number) => ['begin', ...Array.from({ length: n }, (_, i) => `select pgq.insert_event('q', 't', 'e${i + 1}')`), 'commit'];
    const steps = [
      "select pgq.create_queue('q')",
      'update pgq.queue set queue_per_tx_limit = 2',
      ...tx(3),
      ...tx(2),
      "select pgq.set_queue_config('q', 'per_tx_limit', '0')",
      'update pgq.queue set queue_per_tx_limit = 0',
      ...tx(1),
      'update pgq.queue set queue_per_tx_limit = null',
      ...tx(3),
      'select count(*) from pgq.event_template',
    ];
    const mine = await compare('compat_txlimit', steps);
    expect(mine.filter((o) => o.error).map((o) => o.error)).toEqual([
      "Queue 'q' allows max 2 events from one TX",
      'cannot change parameter "per_tx_limits"',
      "Queue 'q' allows max 0 events from one TX",
    ]);
    expect(one(mine, 'select count(*) from pgq.event_template')).toBe('5');
  });

  it('ticks by PgQ\'s rules: max_count and max_lag with new events, backing off while idle', async () => {
    const { ours, ref } = await queuePair('compat_ticker');
    const both = async (sql: string) => {
      const mine = await value(ours, sql);
      if (ref) expect(await value(ref, sql)).toBe(mine);
      return mine;
    };
    await both("select pgq.create_queue('q')");
    await both("select pgq.set_queue_config('q', 'ticker_max_count', '3')");
    await both("select pgq.set_queue_config('q', 'ticker_max_lag', '1 hour')");
    await both("select pgq.set_queue_config('q', 'ticker_idle_period', '1 hour')");
    const insert = "select pgq.insert_event('q', 't', 'x')";
    const tick = "select pgq.ticker('q')";
    expect(await both(tick)).toBe('2'); // idle, but a single tick has no gap to back off from
    for (let i = 0; i < 3; i++) await both(insert); // the first does not move a fresh sequence's last_value
    expect(await both(tick)).toBeNull(); // 2 new by the sequence, fewer than 3, and max_lag not passed
    await both(insert);
    expect(await both(tick)).toBe('3'); // 3 reached
    await both(insert);
    expect(await both(tick)).toBeNull();
    await both("select pgq.set_queue_config('q', 'ticker_max_lag', '0')");
    expect(await both(tick)).toBe('4'); // max_lag passed with an event pending
    // Idle: a tick once half of max_lag has passed and twice the last gap (or the idle period).
    await both("select pgq.set_queue_config('q', 'ticker_max_lag', '1 hour')");
    await both("select pgq.set_queue_config('q', 'ticker_idle_period', '1 day')");
    expect(await both(tick)).toBeNull(); // less than half of max_lag since tick 4
    await both("select pgq.set_queue_config('q', 'ticker_max_lag', '0')");
    await both("update pgq.tick set tick_time = tick_time - interval '1 hour' where tick_id < 4");
    expect(await both(tick)).toBeNull(); // no time since tick 4, the gap before it an hour
    await both("update pgq.tick set tick_time = tick_time - interval '3 hours'");
    expect(await both(tick)).toBe('5'); // 3 hours since tick 4: more than twice its gap, less than idle_period
    await both("select pgq.set_queue_config('q', 'ticker_idle_period', '0')");
    expect(await both(tick)).toBe('6'); // idle_period passed
  });
});
