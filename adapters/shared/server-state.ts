/**
 * The runtime-neutral part of a server: its resolved configuration, the set of live sessions, and graceful
 * shutdown. Each runtime adapter owns one and calls {@link ServerState.connect} for every accepted socket.
 */
import type { ServerConfig } from './options.ts';
import type { Transport } from './transport.ts';
import { Session, type SessionOwner } from './session.ts';

/** After the graceful wait, how long to wait for terminated transports to report closed. */
const TERMINATE_GRACE_MS = 1000;

/** Live sessions of one server and their shutdown. */
export class ServerState<T> implements SessionOwner<T> {
  readonly config: ServerConfig<T>;
  readonly sessions = new Set<Session<T>>();
  /** False once `stop()` has begun: adapters drop new sockets. */
  accepting = true;
  private emptyWaiters: (() => void)[] = [];

  constructor(config: ServerConfig<T>) {
    this.config = config;
  }

  /** Starts a session over a freshly accepted transport. The adapter routes the transport's events to it. */
  connect(transport: Transport): Session<T> {
    const session = new Session<T>(this, transport);
    this.sessions.add(session);
    if (!this.accepting) session.terminate();
    return session;
  }

  /** @internal */
  sessionEnded(session: Session<T>): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when no session is left, or after `ms` (false then). */
  private whenEmpty(ms: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.emptyWaiters.indexOf(done);
        if (i !== -1) this.emptyWaiters.splice(i, 1);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.emptyWaiters.push(done);
    });
  }

  /**
   * Graceful shutdown of the sessions (the adapter has stopped accepting): 1001 to every open socket, wait
   * for the close handshakes up to `timeoutMs`, then terminate what is left.
   */
  async shutdown(options: { timeoutMs?: number; force?: boolean } = {}): Promise<void> {
    this.accepting = false;
    if (options.force !== true) {
      for (const session of [...this.sessions]) session.shutdown();
      const timeoutMs = options.timeoutMs ?? this.config.stopTimeoutMs;
      if (await this.whenEmpty(timeoutMs)) return;
    }
    for (const session of [...this.sessions]) session.terminate();
    await this.whenEmpty(TERMINATE_GRACE_MS);
  }
}
