import { describe, expect, it } from 'vitest';
import { formatLogLine, formatTable } from '../../lib/cli/format.ts';

describe('londiste3 output', () => {
  it('prints Tables on node exactly as the seed shows it', () => {
    const text = formatTable({
      title: 'Tables on node',
      columns: ['table_name', 'merge_state', 'table_attrs'],
      rows: [['digoal_01.user_info', 'ok', ''], ['digoal_01.user_session', 'ok', '']],
    });
    expect(text).toBe(
      'Tables on node\n' +
        'table_name              merge_state      table_attrs    \n' +
        '----------------------  ---------------  ---------------\n' +
        'digoal_01.user_info     ok                              \n' +
        'digoal_01.user_session  ok                              \n' +
        '\n\n',
    );
  });

  it('prints Missing objects on node, None, booleans and attribute dicts the Python way', () => {
    expect(formatTable({
      title: 'Missing objects on node', columns: ['obj_kind', 'obj_name'],
      rows: [['r', 'digoal_01.user_login_rec'], ['r', 'digoal_01.user_logout_rec']],
    }).split('\n').slice(0, 4)).toEqual([
      'Missing objects on node',
      'obj_kind         obj_name                 ',
      '---------------  -------------------------',
      'r                digoal_01.user_login_rec ',
    ]);
    const t = formatTable({
      title: 'x', columns: ['a', 'b', 'c'],
      rows: [[null, true, { max_parallel_copy: '2' }], ['y', false, { q: "it's" }]],
    });
    expect(t).toContain("None             True             {'max_parallel_copy': '2'}");
    expect(t).toContain("{'q': 'it\\'s'}");
  });

  it('prints nothing at all for an empty table', () => {
    expect(formatTable({ title: 'Sequences on node', columns: ['seq_name'], rows: [] })).toBe('');
  });

  it('formats log lines as LEVEL message', () => {
    expect(formatLogLine('ERROR', 'Primary key missing on table: digoal_01.user_login_rec')).toBe(
      'ERROR Primary key missing on table: digoal_01.user_login_rec',
    );
  });
});
