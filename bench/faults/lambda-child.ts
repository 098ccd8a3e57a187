/**
 * A Lambda function's handler alone in a process, invoked again and again
 * as AWS would, for the fault harness to SIGKILL (a Lambda whose container
 * dies mid-invocation):
 *   node --import tsx bench/faults/lambda-child.ts consumer NODE
 *   node --import tsx bench/faults/lambda-child.ts ticker
 * The topology comes from LAMBDISTE_NODES. The consumer is invoked every
 * 100 ms (the ticker's wakes, in the cloud); the ticker in runs of 20 s
 * (its schedule), its consumer wakes served in this process.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { localContext } from '../../lib/lambda/runtime.ts';

const [kind, node] = process.argv.slice(2);
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

if (kind === 'consumer') {
  const { handler } = await import('../../functions/consumer.ts');
  for (;;) {
    try {
      const r = (await handler({ node: node! }, localContext('consumer', 10_000) as never)) as { ok: boolean; error?: string };
      if (!r.ok) log(`consumer: ${r.error}`);
    } catch (err) {
      log(`consumer failed: ${(err as Error).message}`);
    }
    await delay(100);
  }
} else if (kind === 'ticker') {
  const { handler } = await import('../../functions/ticker.ts');
  for (;;) {
    try {
      const r = (await handler({ runForMs: 20_000 }, localContext('ticker', 25_000) as never)) as { ok: boolean; error?: string };
      if (!r.ok) log(`ticker: ${r.error}`);
    } catch (err) {
      // A failed ticker invocation (its database gone): the schedule invokes it again.
      log(`ticker failed: ${(err as Error).message}`);
      await delay(500);
    }
  }
} else {
  throw new Error('usage: lambda-child.ts consumer NODE | ticker');
}
