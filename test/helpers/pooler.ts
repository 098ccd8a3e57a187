import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { freePort } from '../../lib/db/embedded.ts';
import { until } from './process.ts';

/** Whether pgbouncer is installed here (Debian's package); the pooler tests need it. */
export const hasPgbouncer = spawnSync('sh', ['-c', 'command -v pgbouncer']).status === 0;

/**
 * A pgbouncer in transaction pooling mode in front of the given databases
 * (URLs with user and password), stopped when the test ends. A small pool:
 * transactions of different clients share server connections, so any
 * session state Lambdiste relied on would show. Returns the URLs through
 * it, in the same order.
 */
export async function startPgbouncer(urls: string[]): Promise<string[]> {
  // Under /tmp: the user pgbouncer runs as must reach it, whatever TMPDIR is.
  const dir = mkdtempSync('/tmp/lambdiste-pgbouncer-');
  chmodSync(dir, 0o755);
  const port = await freePort();
  const entries = urls.map((u, i) => {
    const url = new URL(u);
    return `db${i} = host=${url.hostname} port=${url.port} dbname=${url.pathname.slice(1)} user=${decodeURIComponent(url.username)} password=${decodeURIComponent(url.password)}`;
  });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(ini, `[databases]\n${entries.join('\n')}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\n` +
    `unix_socket_dir =\nauth_type = trust\nauth_file = ${join(dir, 'users.txt')}\npool_mode = transaction\n` +
    `default_pool_size = 2\nmax_client_conn = 100\n`);
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  chmodSync(ini, 0o644);
  // pgbouncer will not run as root.
  const root = process.getuid?.() === 0;
  const child = spawn(root ? 'runuser' : 'pgbouncer', root ? ['-u', 'postgres', '--', 'pgbouncer', ini] : [ini], { stdio: 'ignore' });
  onTestFinished(() => void child.kill('SIGTERM'));
  const through = urls.map((_, i) => `postgres://postgres@127.0.0.1:${port}/db${i}`);
  const pg = await import('pg');
  await until('pgbouncer to listen', async () => {
    const c = new pg.default.Client({ connectionString: through[0] });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  return through;
}
