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
  /** Time spent in handler runs that ended (what Lambda would bill). */
  private endedMs = 0;
  /** Start of each run in flight, by node. */
  private readonly startedAt = new Map<string, number>();

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
        this.startedAt.set(event.node, performance.now());
        try {
          await this.handler!(event);
        } catch (err) {
          this.errors.push(err instanceof Error ? err : new Error(String(err)));
        } finally {
          this.endedMs += performance.now() - this.startedAt.get(event.node)!;
          this.startedAt.delete(event.node);
        }
      } while (this.again.has(event.node));
    })().finally(() => this.running.delete(event.node));
    this.running.set(event.node, run);
  }

  /**
   * Time spent in handler runs so far (what Lambda would bill), the runs
   * in flight included: a consumer lingering from batch to batch may run
   * for the whole of a measurement.
   */
  get busyMs(): number {
    const now = performance.now();
    return this.endedMs + [...this.startedAt.values()].reduce((sum, t) => sum + (now - t), 0);
  }

  /** Runs in flight now. */
  get inFlight(): number {
    return this.startedAt.size;
  }

  /** Resolves when no run is in flight. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}
