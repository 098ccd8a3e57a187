/**
 * Figure 2 where users stand: a backlog (bench/backlog.ts) written while
 * the root's `ticker` process ticks with its defaults (the batches are the
 * ones it makes) and nothing applies; then the leaf is started and timed
 * until the subscriber equals the provider, through
 *   worker    the leaf's `lambdiste LEAF.ini worker` process, defaults;
 *   consumer  the consumer Lambda handler (functions/consumer.ts) invoked
 *             once in this process, invoking itself while work is left;
 * for each backlog shape (bench, user_info, wide, oltp). Beside it, the
 * physical limit: the same final rows moved by one COPY pipe.
 *   npx tsx bench/apply-cli.ts [--quick] [--shapes=bench,oltp] [--entry=worker]
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const { caughtUp, checksum, shapeNamed, shapes, writeBacklog } = await import('./backlog.ts');
const { startDaemon } = await import('./cli.ts');
const { copyPipe, exec, fmt, freshDb, replicaPair, report, reps, servers, stat } = await import('./common.ts');
const { withLocalRuntime } = await import('./local-runtime.ts');
type Shape = import('./backlog.ts').Shape;

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const shapeList = (arg('shapes') ?? Object.keys(shapes).join(',')).split(',').map(shapeNamed);
const entries = (arg('entry') ?? 'worker,consumer').split(',') as ('worker' | 'consumer')[];
for (const e of entries) if (e !== 'worker' && e !== 'consumer') throw new Error(`--entry: worker or consumer, not ${e}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tableName = (s: Shape) => s.table.split('.')[1]!;

/** The pipe: the provider's final rows into a fresh copy of the table on the subscriber. */
async function pipe(src: string, dst: string, shape: Shape): Promise<number> {
  const schema = shape.table.split('.')[0]!;
  await exec(dst, shape.ddl(`${tableName(shape)}_pipe`));
  return copyPipe(src, dst, shape.table, `${schema}.${tableName(shape)}_pipe`);
}

async function viaWorker(src: string, dst: string, shape: Shape): Promise<number> {
  const { root, leaf } = await replicaPair(src, dst, [shape.table]);
  const ticker = startDaemon(root, 'ticker');
  try {
    await writeBacklog(src, async () => {}, shape);
    await sleep(1500); // the ticker closes the last batch
    const t0 = performance.now();
    const worker = startDaemon(leaf, 'worker');
    const seconds = ((await caughtUp(src, dst, shape.table)) - t0) / 1000;
    await worker.stop();
    return seconds;
  } finally {
    await ticker.stop();
  }
}

async function viaConsumerHandler(src: string, dst: string, shape: Shape): Promise<number> {
  const { result } = await withLocalRuntime(src, dst, [shape.table], async () => {
    const rt = await import('../lib/lambda/runtime.ts');
    const invoker = rt.getInvoker() as import('../lib/invoke/in-process.ts').InProcessInvoker;
    await invoker.drain(); // add-table's copy of the empty table
    const ticker = startDaemon({ jobName: 'src', db: src, queueName: 'replika', settings: {} }, 'ticker');
    try {
      await writeBacklog(src, async () => {}, shape);
      await sleep(1500);
      const t0 = performance.now();
      await invoker.invokeConsumer({ node: 'dst' });
      await invoker.drain();
      const seconds = ((await caughtUp(src, dst, shape.table)) - t0) / 1000;
      if (invoker.errors.length > 0) throw invoker.errors[0];
      return seconds;
    } finally {
      await ticker.stop();
    }
  }, { schedule: false });
  return result;
}

const s = await servers('applycli');
try {
  const rows: [string, string][] = [];
  const figures: Record<string, unknown> = {};
  for (const shape of shapeList) {
    for (const entry of entries) {
      const runs = [];
      for (let rep = 0; rep < reps; rep++) {
        const src = await freshDb(s.provider, `ac_${shape.name}_${entry}_src_${rep}`);
        const dst = await freshDb(s.subscriber, `ac_${shape.name}_${entry}_dst_${rep}`);
        await exec(src, shape.ddl());
        await exec(dst, shape.ddl());
        const applySeconds = entry === 'worker' ? await viaWorker(src, dst, shape) : await viaConsumerHandler(src, dst, shape);
        if ((await checksum(src, shape.table)) !== (await checksum(dst, shape.table))) throw new Error('subscriber differs from provider');
        const pipeSeconds = await pipe(src, dst, shape);
        runs.push({ applySeconds, pipeSeconds });
      }
      const rate = stat(runs.map((r) => shape.changes / r.applySeconds));
      const ratio = stat(runs.map((r) => r.pipeSeconds / r.applySeconds));
      const what = entry === 'worker' ? 'leaf worker process' : 'consumer handler';
      rows.push([`${shape.name} (${shape.changes} changes), ${what}: changes/s`, `${fmt(rate)}  target >= 100,000`]);
      rows.push(['  apply time, s / COPY pipe of the final rows, s', `${fmt(stat(runs.map((r) => r.applySeconds)), 2)} / ${fmt(stat(runs.map((r) => r.pipeSeconds)), 2)}`]);
      rows.push(['  vs physical limit (pipe time / apply time)', `${fmt(ratio, 2)}  target >= 0.30`]);
      figures[`${shape.name}/${entry}`] = { changes: shape.changes, rate, ratio, runs };
    }
  }
  report('apply-cli', rows, figures);
} finally {
  await s.stop();
}
