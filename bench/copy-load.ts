/** Figure 4's table, shared by bench/copy.ts and bench/londiste.ts: about 150 bytes a row. */
export const copyDdl = (t: string) => `create table public.${t} (id bigint primary key, a int, b text, c text, ts timestamptz)`;
export const copyFill = (t: string, n: number) =>
  `insert into ${t} select g, g % 1000, md5(g::text), repeat(md5((g * 7)::text), 2), now() from generate_series(1, ${n}) g`;
