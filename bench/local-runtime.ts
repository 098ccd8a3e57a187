/**
 * Lambdiste's local runtime for benchmarks: the admin, ticker and consumer
 * handlers in this process, for one root and one leaf, with their
 * defaults; the ticker as AWS runs it (lib/lambda/local-schedule.ts: its
 * schedule every minute, and wakes). `run` is called while it runs.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.LAMBDISTE_INVOKER = 'in-process';
const rt = await import('../lib/lambda/runtime.ts');
const { handler: admin } = await import('../functions/admin.ts');
const { startTickerSchedule } = await import('../lib/lambda/local-schedule.ts');
const { closePools } = await import('../lib/lambda/pools.ts');
type InProcess = import('../lib/invoke/in-process.ts').InProcessInvoker;

/** `schedule: false`: no ticker schedule (the caller ticks and invokes the consumer itself). */
export async function withLocalRuntime<T>(src: string, dst: string, tables: string[], run: () => Promise<T>, opts: { schedule?: boolean } = {}) {
  process.env.LAMBDISTE_NODES = JSON.stringify({ nodes: [
    { name: 'src', type: 'root', queue: 'replika', db: src },
    { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: dst },
  ] });
  rt.resetTopology();
  rt.setInvoker(undefined);
  const ctx = () => rt.localContext('bench', 60_000);
  for (const [node, command, args] of [['src', 'create-root', []], ['src', 'add-table', tables], ['dst', 'create-leaf', []], ['dst', 'add-table', tables]] as const) {
    const r = (await admin({ node, command, args: [...args] }, ctx())) as { ok: boolean; error?: string };
    if (!r.ok) throw new Error(`${command}: ${r.error}`);
  }
  const schedule = opts.schedule === false ? null : await startTickerSchedule({ roots: [{ url: src, queue: 'replika' }], onError: (e) => console.error(`ticker: ${e.message}`) });
  try {
    return { result: await run(), invoker: rt.getInvoker() as InProcess, schedule };
  } finally {
    await schedule?.stop();
    await (rt.getInvoker() as InProcess).drain();
    await closePools();
  }
}
