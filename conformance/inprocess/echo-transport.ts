/**
 * In-process transport: the client's bytes go straight into a core `ServerConnection` running an echo
 * application (accept every upgrade, deflate as configured; echo text as text, binary as binary), and its
 * writes come back as the server's bytes. Everything runs on a {@link VirtualClock}.
 */
import { ServerConnection, type ServerConnectionOptions } from '../../core/connection.ts';
import type { CaseTransport, TransportHandlers } from '../client/transport.ts';
import type { TimerHandle } from '../client/clock.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The server options the in-process echo server uses unless told otherwise: deflate on, core defaults. */
export const ECHO_SERVER_OPTIONS: ServerConnectionOptions = { deflate: {} };

/** A transport whose far end is a core connection with the echo application. */
export class EchoServerTransport implements CaseTransport {
  private conn: ServerConnection | null = null;
  private handlers: TransportHandlers | null = null;
  private closed = false;
  private deadline = Infinity;
  private deadlineTimer: TimerHandle | null = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly options: ServerConnectionOptions = ECHO_SERVER_OPTIONS,
  ) {}

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.clock.post(() => {
      this.conn = new ServerConnection(this.options, this.clock.now());
      this.armDeadline();
      handlers.onOpen();
    });
  }

  write(bytes: Uint8Array, flushed?: () => void): void {
    // The core may unmask in place and keep views: hand it a private copy.
    const copy = bytes.slice();
    this.clock.post(() => {
      if (!this.closed && this.conn !== null) {
        this.conn.receive(copy, this.clock.now());
        this.pump();
      }
      flushed?.();
    });
  }

  abort(): void {
    if (this.closed) return;
    if (this.conn !== null && this.conn.state !== 'closed') {
      this.conn.end(this.clock.now());
      this.conn.takeEvents();
      this.conn.takeWrites();
    }
    this.finish('dropped by client');
  }

  /** Runs the echo application over the core's events, then delivers its writes and its close. */
  private pump(): void {
    const conn = this.conn;
    if (conn === null) return;
    for (const ev of conn.takeEvents()) {
      if (ev.type === 'request') conn.accept({}, this.clock.now());
      else if (ev.type === 'message' && conn.state === 'open') conn.send(ev.data, { binary: ev.binary }, this.clock.now());
    }
    const writes = conn.takeWrites();
    if (writes.length > 0) {
      let n = 0;
      for (const w of writes) n += w.length;
      const out = new Uint8Array(n);
      let o = 0;
      for (const w of writes) {
        out.set(w, o);
        o += w.length;
      }
      this.clock.post(() => {
        if (!this.closed) this.handlers?.onData(out);
      });
    }
    if (conn.transportShouldClose) {
      this.clock.post(() => this.finish('server closed the connection'));
    } else {
      this.armDeadline();
    }
  }

  private armDeadline(): void {
    const conn = this.conn;
    if (conn === null || this.closed) return;
    const next = conn.nextDeadline;
    if (next === this.deadline) return;
    this.deadlineTimer?.cancel();
    this.deadline = next;
    if (!Number.isFinite(next)) {
      this.deadlineTimer = null;
      return;
    }
    this.deadlineTimer = this.clock.setTimer(next - this.clock.now(), () => {
      this.deadline = Infinity;
      this.deadlineTimer = null;
      if (this.closed) return;
      conn.tick(this.clock.now());
      this.pump();
    });
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlineTimer?.cancel();
    this.handlers?.onClose(reason);
  }
}
