/**
 * A TLS client socket on Deno's own `Deno.connectTls`, with the few members of a `node:net` socket the raw test
 * client uses. Why: on Deno 2.9, `pause()` of a `node:tls` socket does not stop reading (a paused client went on
 * taking gigabytes), so tests that need a peer which really stops reading, to see the server's write backpressure
 * over wss, cannot use `node:tls` there. Here a paused socket does not call `read`: the bytes wait in the kernel.
 */

/** A listener; only 'data' listeners get an argument. */
type Listener = (chunk: Uint8Array) => void;
type EventName = 'data' | 'end' | 'close' | 'error';
const NOTHING = new Uint8Array(0);

/** The parts of `Deno.TlsConn` used here. */
interface DenoTlsConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
}

interface DenoTlsApi {
  connectTls(options: { hostname: string; port: number; caCerts: string[]; alpnProtocols: string[] }): Promise<DenoTlsConn>;
}

/** What the raw client needs of its socket; a `node:net` socket has all of it. */
export interface ClientSocket {
  readonly destroyed: boolean;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'close' | 'error', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  write(bytes: Uint8Array | string): unknown;
  end(): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
}

const READ_BYTES = 64 * 1024;

export class DenoTlsSocket implements ClientSocket {
  destroyed = false;
  private readonly listeners = new Map<EventName, Listener[]>();
  /** While paused: resolves on resume (or destroy). */
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  /** Writes go out one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly conn: DenoTlsConn) {
    void this.readLoop();
  }

  /** Connects to 127.0.0.1:`port`, trusting `caPem` (the test server's self-signed certificate). */
  static async connect(port: number, caPem: string): Promise<DenoTlsSocket> {
    const deno = (globalThis as unknown as { Deno: DenoTlsApi }).Deno;
    const conn = await deno.connectTls({ hostname: '127.0.0.1', port, caCerts: [caPem], alpnProtocols: ['http/1.1'] });
    return new DenoTlsSocket(conn);
  }

  on(event: EventName, listener: Listener): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
    return this;
  }

  once(event: EventName, listener: Listener): this {
    const wrapper: Listener = (chunk) => {
      const list = this.listeners.get(event);
      if (list) list.splice(list.indexOf(wrapper), 1);
      listener(chunk);
    };
    return this.on(event, wrapper);
  }

  private emit(event: EventName, chunk = NOTHING): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(chunk);
  }

  private async readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        while (this.gate !== undefined && !this.destroyed) await this.gate;
        if (this.destroyed) return;
        const n = await this.conn.read(buffer);
        if (n === null) {
          this.emit('end');
          break;
        }
        this.emit('data', buffer.slice(0, n));
      }
    } catch {
      if (!this.destroyed) this.emit('error');
    }
    this.destroy();
  }

  write(bytes: Uint8Array | string): boolean {
    if (this.destroyed) return false;
    let rest = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes.slice();
    this.writing = this.writing.then(async () => {
      while (rest.byteLength > 0 && !this.destroyed) rest = rest.subarray(await this.conn.write(rest));
    }).catch(() => this.destroy());
    return true;
  }

  end(): void {
    this.writing = this.writing.then(() => this.conn.closeWrite()).catch(() => this.destroy());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the runtime
    }
    this.resume();
    this.emit('close');
  }

  pause(): void {
    this.gate ??= new Promise<void>((resolve) => (this.openGate = resolve));
  }

  resume(): void {
    const open = this.openGate;
    this.gate = this.openGate = undefined;
    open?.();
  }
}
