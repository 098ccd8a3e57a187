import { onTestFinished } from 'vitest';
import { hasPgbouncer, startPgbouncer as start } from '../../bench/pgbouncer.ts';

export { hasPgbouncer };

/** pgbouncer in transaction mode in front of `urls`, stopped when the test ends; the URLs through it. */
export async function startPgbouncer(urls: string[]): Promise<string[]> {
  const p = await start(urls);
  onTestFinished(() => p.stop());
  return p.urls;
}
