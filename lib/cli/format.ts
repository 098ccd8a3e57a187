import type { Cell, LogLevel, ResultTable } from '../admin/types.ts';

/** A cell as londiste3 (Python) prints it: None, True/False, dicts as repr. */
function cellText(c: Cell): string {
  if (c === null) return 'None';
  if (c === true) return 'True';
  if (c === false) return 'False';
  if (typeof c === 'object') {
    const pyStr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    return `{${Object.entries(c).map(([k, v]) => `${pyStr(k)}: ${pyStr(v)}`).join(', ')}}`;
  }
  return String(c);
}

/**
 * londiste3's table output: title, header, dashes, every column
 * left-aligned to max(15, widest value) and separated by two spaces
 * (trailing spaces kept), then two empty lines. No rows: nothing at all.
 */
export function formatTable(t: ResultTable): string {
  if (t.rows.length === 0) return '';
  const cells = t.rows.map((r) => r.map(cellText));
  const widths = t.columns.map((c, i) => Math.max(15, c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [t.title, line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), '', ''].join('\n') + '\n';
}

/** `INFO Table added: digoal_01.user_info`, as londiste3 logs to the console. */
export function formatLogLine(level: LogLevel, message: string): string {
  return `${level} ${message}`;
}
