/**
 * A TCP proxy between Lambdiste's processes and a PostgreSQL server that
 * misbehaves on purpose, the way networks, load balancers and failovers
 * do: it drops connections (both ends closed at once), stalls them (bytes
 * held back for a while, then delivered) and slows them (every chunk
 * delayed). Node's net module only; one proxy per server.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  server: Socket;
  /** Bytes are held until then (epoch ms). */
  stalledUntil: number;
  /** Each chunk waits this long. */
  delayMs: number;
}

export interface ProxyStats {
  connections: number;
  drops: number;
  stalls: number;
  slows: number;
}

export class FaultProxy {
  private server!: Server;
  private readonly pairs = new Set<Pair>();
  readonly stats: ProxyStats = { connections: 0, drops: 0, stalls: 0, slows: 0 };
  port = 0;

  constructor(private readonly targetPort: number, private readonly targetHost = '127.0.0.1') {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    const server = connect(this.targetPort, this.targetHost);
    const pair: Pair = { client, server, stalledUntil: 0, delayMs: 0 };
    this.stats.connections++;
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) => {
      // In order, one chunk after the other, each held back as the pair says.
      let chain = Promise.resolve();
      from.on('data', (chunk) => {
        chain = chain.then(async () => {
          const wait = Math.max(pair.stalledUntil - Date.now(), 0) + pair.delayMs;
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          if (!to.destroyed) to.write(chunk);
        });
      });
    };
    forward(client, server);
    forward(server, client);
    const close = () => {
      client.destroy();
      server.destroy();
      this.pairs.delete(pair);
    };
    for (const s of [client, server]) {
      s.on('error', close);
      s.on('close', close);
    }
  }

  /** Connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  private pick(fraction: number): Pair[] {
    return [...this.pairs].filter(() => Math.random() < fraction);
  }

  /** Closes a random share of the connections (a reset, as a failover or an idle timeout does). */
  drop(fraction = 1): number {
    const victims = this.pick(fraction);
    for (const p of victims) {
      p.client.resetAndDestroy();
      p.server.destroy();
    }
    this.stats.drops += victims.length;
    return victims.length;
  }

  /** Holds back every byte of a random share of the connections for `ms`. */
  stall(ms: number, fraction = 1): number {
    const victims = this.pick(fraction);
    for (const p of victims) p.stalledUntil = Date.now() + ms;
    this.stats.stalls += victims.length;
    return victims.length;
  }

  /** Delays every chunk of a random share of the connections by `ms`, for `forMs`. */
  slow(ms: number, forMs: number, fraction = 1): number {
    const victims = this.pick(fraction);
    for (const p of victims) {
      p.delayMs = ms;
      setTimeout(() => (p.delayMs = 0), forMs).unref();
    }
    this.stats.slows += victims.length;
    return victims.length;
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.server.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
