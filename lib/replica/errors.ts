/** The subscriber's position and the provider's batch disagree: neither can be trusted to continue. */
export class LostPositionError extends Error {
  constructor(consumer: string, position: number, prevTick: number, curTick: number) {
    super(
      `Lost position: consumer ${consumer} has applied up to tick ${position}, ` +
        `but the provider offers batch ${prevTick}..${curTick}`,
    );
    this.name = 'LostPositionError';
  }
}

/** Thrown by a test failpoint to stop a consumer at a chosen step, as a crash would. */
export class InjectedCrash extends Error {
  constructor(public readonly point: string) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}
