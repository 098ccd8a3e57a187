import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ConsumerEvent, Invoker } from './invoker.ts';

/**
 * Invokes the deployed consumer function through the Lambda API. The
 * endpoint is the SDK's business: AWS by default, LocalStack or
 * serverless-offline when AWS_ENDPOINT_URL(_LAMBDA) says so.
 */
export class LambdaInvoker implements Invoker {
  private readonly client: LambdaClient;

  constructor(private readonly consumerFunction: string, client?: LambdaClient) {
    this.client = client ?? new LambdaClient({});
  }

  async invokeConsumer(event: ConsumerEvent): Promise<void> {
    const r = await this.client.send(
      new InvokeCommand({
        FunctionName: this.consumerFunction,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (r.StatusCode !== 202) throw new Error(`Invoking ${this.consumerFunction} returned status ${r.StatusCode}`);
  }
}
