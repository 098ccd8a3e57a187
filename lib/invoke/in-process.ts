import type { ConsumerEvent, Invoker } from './invoker.ts';

export type ConsumerHandler = (event: ConsumerEvent) => Promise<unknown>;

/**
 * Runs the consumer handler in this process (local runs and tests), in the
 * background like an Event invocation. At most one run per node is in
 * flight; a request while one runs is remembered and served right after,
 * so nothing is lost and nothing piles up.
 */
export class InProcessInvoker implements Invoker {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private handler: ConsumerHandler | undefined;
  readonly errors: Error[] = [];
  invocations = 0;
  /** Total time spent in handler runs (what Lambda would bill). */
  busyMs = 0;

  constructor(handler?: ConsumerHandler) {
    this.handler = handler;
  }

  /** Set late, because the consumer handler itself needs an invoker. */
  setHandler(handler: ConsumerHandler): void {
    this.handler = handler;
  }

  async invokeConsumer(event: ConsumerEvent): Promise<void> {
    if (!this.handler) throw new Error('InProcessInvoker has no consumer handler');
    if (this.running.has(event.node)) {
      this.again.add(event.node);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(event.node);
        this.invocations++;
        const started = performance.now();
        try {
          await this.handler!(event);
        } catch (err) {
          this.errors.push(err instanceof Error ? err : new Error(String(err)));
        } finally {
          this.busyMs += performance.now() - started;
        }
      } while (this.again.has(event.node));
    })().finally(() => this.running.delete(event.node));
    this.running.set(event.node, run);
  }

  /** Resolves when no run is in flight. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}
