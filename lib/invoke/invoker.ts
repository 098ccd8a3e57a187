/**
 * How one function asks for another to run: the ticker wakes consumers,
 * a consumer with work left wakes itself again. Always asynchronous
 * ("Event" invocations): the caller never waits for the work.
 *
 * Which implementation runs is configuration (LAMBDISTE_INVOKER, and the
 * AWS SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_LAMBDA for LocalStack
 * or serverless-offline), never code.
 */
export interface ConsumerEvent {
  node: string;
}

export interface Invoker {
  /** Starts a consumer run for a leaf node, without waiting for it. */
  invokeConsumer(event: ConsumerEvent): Promise<void>;
}
