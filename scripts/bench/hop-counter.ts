/**
 * A counting TCP proxy: one per hop (a client tier in front of one service), so a benchmark can
 * count the network round trips an operation makes instead of estimating them.
 *
 * A round trip is counted each time the client speaks after the server has (or first on a new
 * connection): the client sent something and then had to wait for the answer before it could go on,
 * or the server pushed something the client answered. Several requests written back to back
 * (a pipeline, a batch) are one round trip, as they cost one wait on the wire. Each trip is filed
 * under the phase the benchmark is in when it starts (`HopCounter.phase`), so trips made while an
 * HTTP request was in flight (on its path) and after its answer (the asynchronous rest) stay apart.
 */
import net from 'node:net';

export interface HopCount {
  trips: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
}

const zero = (): HopCount => ({ trips: 0, bytesUp: 0, bytesDown: 0, connections: 0 });

/** The phases a benchmark files trips under; the proxies share the current one. */
export class Phases {
  current = 'idle';
}

export class HopCounter {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Counts per phase. */
  readonly counts = new Map<string, HopCount>();

  constructor(
    readonly name: string,
    private readonly target: { host: string; port: number },
    private readonly phases: Phases,
  ) {
    this.server = net.createServer((client) => this.relay(client));
  }

  /** Listens on an ephemeral loopback port; returns it. */
  async listen(host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private count(): HopCount {
    const phase = this.phases.current;
    let c = this.counts.get(phase);
    if (!c) this.counts.set(phase, (c = zero()));
    return c;
  }

  private relay(client: net.Socket) {
    const upstream = net.connect(this.target);
    // Nagle off on both legs: the proxy must not hold a small write back and merge two trips.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.sockets.add(client).add(upstream);
    this.count().connections++;
    let serverSpokeLast = true;
    client.on('data', (chunk: Buffer) => {
      const c = this.count();
      if (serverSpokeLast) c.trips++;
      serverSpokeLast = false;
      c.bytesUp += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      serverSpokeLast = true;
      this.count().bytesDown += chunk.length;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  get(phase: string): HopCount {
    return this.counts.get(phase) ?? zero();
  }

  async close() {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
