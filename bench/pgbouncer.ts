/**
 * A pgbouncer (Debian's package) in transaction pooling mode in front of
 * the given databases (URLs with user and password), for the tests and
 * benchmarks through a pooler. A small pool by default: transactions of
 * different clients share server connections. Runs as the OS user
 * postgres when started as root (pgbouncer refuses root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../lib/db/embedded.ts';

export const hasPgbouncer = spawnSync('sh', ['-c', 'command -v pgbouncer']).status === 0;

export interface Pgbouncer {
  /** The URLs through it, in the order given. */
  urls: string[];
  stop(): void;
}

export async function startPgbouncer(urls: string[], poolSize = 2): Promise<Pgbouncer> {
  // Under /tmp: the user pgbouncer runs as must reach it, whatever TMPDIR is.
  const dir = mkdtempSync('/tmp/lambdiste-pgbouncer-');
  chmodSync(dir, 0o755);
  const port = await freePort();
  const entries = urls.map((u, i) => {
    const url = new URL(u);
    return `db${i} = host=${url.hostname} port=${url.port || 5432} dbname=${url.pathname.slice(1)} user=${decodeURIComponent(url.username)}` +
      (url.password ? ` password=${decodeURIComponent(url.password)}` : '');
  });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(ini, `[databases]\n${entries.join('\n')}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\n` +
    `unix_socket_dir =\nauth_type = trust\nauth_file = ${join(dir, 'users.txt')}\npool_mode = transaction\n` +
    `default_pool_size = ${poolSize}\nmax_client_conn = 200\n`);
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  chmodSync(ini, 0o644);
  const root = process.getuid?.() === 0;
  const child = spawn(root ? 'runuser' : 'pgbouncer', root ? ['-u', 'postgres', '--', 'pgbouncer', ini] : [ini], { stdio: 'ignore' });
  const through = urls.map((_, i) => `postgres://postgres@127.0.0.1:${port}/db${i}`);
  const end = Date.now() + 10_000;
  for (;;) {
    const c = new pg.Client({ connectionString: through[0] });
    try {
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      if (Date.now() > end) throw new Error(`pgbouncer did not start: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { urls: through, stop: () => void child.kill('SIGTERM') };
}
