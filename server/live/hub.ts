/**
 * Live push over socket.io. Ingest never waits for a browser: each client has a bounded queue,
 * flushed on a timer only when its connection has drained; a client that cannot keep up misses
 * lines and is told how many. A burst is sent in order over a few pushes; past MAX_BACKLOG_PUSHES
 * pushes' worth, the oldest waiting lines are skipped (and counted), so a tail that outruns the
 * browser stays a fraction of a second behind; and a line's JSON is built only when a push sends
 * it (most lines of a storm are never shown).
 */
import type { IncomingHttpHeaders, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { allows, eventAccess, type Role } from '../auth/policy.js';
import { logLineJson, type LogLineJson } from '../json/log-line.js';
import type { LogRecord } from '../store/types.js';
import { startFleetRelay, type FleetRelay } from './fleet-relay.js';
import { matchesLiveLogFilter, parseLiveLogFilter, type LiveLogFilter } from './log-filter.js';

/**
 * A line waits up to this long for its push: at 40 ms that wait was half of a 50,000 lines/s
 * tail's median delay. Pushes stay few enough that a browser renders each.
 */
const PUSH_INTERVAL_MS = 20;
/** Lines per `logs:batch` message at most (5,000 lines/s, what a browser can render); the rest waits for the next tick. */
const MAX_LINES_PER_BATCH = 100;
/** Pushes' worth of lines a client may have waiting; older ones are skipped, so what it shows is at most this many pushes (160 ms) old. */
const MAX_BACKLOG_PUSHES = 8;
/** Engine.io packets still unsent to a client beyond which it counts as not reading. */
const MAX_UNSENT_PACKETS = 8;

/** Who a connecting browser or script is (cookie or token in the handshake); null refuses it. */
export type SocketAuthenticator = (headers: IncomingHttpHeaders, token: unknown) => Promise<{ role: Role } | null>;

/** A line of this collector, its JSON not built yet. */
class IngestedLine {
  constructor(private readonly record: LogRecord, private readonly address: string) {}
  json(): LogLineJson { return logLineJson(this.record, this.address); }
}

/** A line a peer collector shared, already JSON. */
class PeerLine {
  constructor(private readonly line: LogLineJson) {}
  json(): LogLineJson { return this.line; }
}

type LiveLine = IngestedLine | PeerLine;

interface Client {
  readonly socket: Socket;
  filter: LiveLogFilter | null;
  queue: LiveLine[];
  missed: number;
}

export class LiveHub {
  private readonly io: Server;
  private readonly clients = new Map<string, Client>();
  private readonly timer: NodeJS.Timeout;
  private healthTimer: NodeJS.Timeout | null = null;
  private readonly connectHandlers: Array<(socket: Socket) => void> = [];
  /** Lines missed by all clients together, for /api/health. */
  droppedTotal = 0;

  /**
   * @param lastLogId the highest log id ingest has handed out: a subscriber gets it back, so it
   * can fetch from the store everything before its subscription, even lines not yet written.
   */
  /** Events not sent to a socket because its role may not see them (auth/policy.ts EVENT_POLICY). */
  withheldTotal = 0;
  /** Other collectors of the fleet (--redis); null for a collector on its own. */
  private fleet: FleetRelay | null = null;
  /** This collector's lines not yet handed to the fleet (sent with each push); bounded like a client's queue. */
  private fleetOutbox: IngestedLine[] = [];

  constructor(http: HttpServer, private readonly maxQueuedPerClient: number, private readonly lastLogId: () => number,
    authenticate: SocketAuthenticator) {
    this.io = new Server(http, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
    this.io.use((socket, next) => {
      authenticate(socket.handshake.headers, (socket.handshake.auth as { token?: unknown } | undefined)?.token).then((who) => {
        if (!who) {
          next(new Error('log in first (or give auth.token)'));
          return;
        }
        (socket.data as { role?: Role }).role = who.role;
        next();
      }, () => next(new Error('authentication failed')));
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
    this.timer = setInterval(() => this.push(), PUSH_INTERVAL_MS);
  }

  /**
   * Joins the other collectors through Redis: their live lines and broadcasts reach this
   * collector's browsers (through the same filters and bounded queues), and this one's reach theirs.
   */
  async joinFleet(redisUrl: string): Promise<void> {
    this.fleet = await startFleetRelay(this.io, redisUrl);
    this.fleet.onPeer('logs', (lines) => { if (Array.isArray(lines)) for (const l of lines) this.deliverPeerLog(l as LogLineJson); });
    this.fleet.onPeer('broadcast', (m) => {
      const { event, payload } = m as { event?: unknown; payload?: unknown };
      if (typeof event === 'string') this.deliverBroadcast(event, payload);
    });
  }

  /** A channel of the fleet for another area (live calls); null without a fleet. */
  get fleetRelay(): FleetRelay | null {
    return this.fleet;
  }

  /** Sends `health` snapshots to every client on a period. */
  startHealth(snapshot: () => Promise<unknown>, periodMs: number): void {
    this.healthTimer = setInterval(() => {
      if (this.clients.size === 0) return;
      snapshot().then((h) => this.broadcast('health', h), () => undefined);
    }, periodMs);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Lets another area (calls, recordings, …) handle its own events on every connection, present
   * and future; it keeps its own subscriptions and pushes with `socket.emit`.
   */
  onConnect(handler: (socket: Socket) => void): void {
    this.connectHandlers.push(handler);
    for (const socket of this.io.sockets.sockets.values()) handler(socket);
  }

  private onConnection(socket: Socket): void {
    guardEmits(socket, () => { this.withheldTotal++; });
    for (const handler of this.connectHandlers) handler(socket);
    const client: Client = { socket, filter: null, queue: [], missed: 0 };
    this.clients.set(socket.id, client);
    socket.on('logs:subscribe', (filter: unknown, ack?: unknown) => {
      client.filter = parseLiveLogFilter(filter);
      client.queue = [];
      if (typeof ack === 'function') ack({ lastId: this.lastLogId() });
    });
    socket.on('logs:unsubscribe', () => {
      client.filter = null;
      client.queue = [];
    });
    socket.on('disconnect', () => this.clients.delete(socket.id));
  }

  /** False when nobody follows the live tail, so ingest can skip building live lines. */
  get wantsLogs(): boolean {
    // Browsers on the other collectors may follow the tail: their filters are not known here.
    if (this.fleet) return true;
    for (const c of this.clients.values()) if (c.filter) return true;
    return false;
  }

  /** Queues a line for each client whose filter takes it; its live form is built once, and only then. */
  publishLog(record: LogRecord, address: string): void {
    let line: IngestedLine | null = null;
    if (this.fleet) {
      line = new IngestedLine(record, address);
      if (this.fleetOutbox.length < this.maxQueuedPerClient) this.fleetOutbox.push(line);
      else this.droppedTotal++;
    }
    for (const c of this.clients.values()) {
      if (!c.filter || !matchesLiveLogFilter(c.filter, address, record.module, record.severity, record.message)) continue;
      this.enqueue(c, line ??= new IngestedLine(record, address));
    }
  }

  private deliverPeerLog(json: LogLineJson): void {
    const line = new PeerLine(json);
    for (const c of this.clients.values()) {
      if (c.filter && matchesLiveLogFilter(c.filter, json.device.address, json.module, json.severity, json.message)) this.enqueue(c, line);
    }
  }

  private enqueue(c: Client, line: LiveLine): void {
    if (c.queue.length >= this.maxQueuedPerClient) {
      c.missed++;
      this.droppedTotal++;
    } else {
      c.queue.push(line);
    }
  }

  /** One event to every browser; a browser that is not reading misses it (volatile), ingest never waits. */
  broadcast(event: string, payload: unknown): void {
    // Health is this collector's own; every other update concerns the whole fleet.
    if (this.fleet && event !== 'health') this.fleet.share('broadcast', { event, payload });
    this.deliverBroadcast(event, payload);
  }

  private deliverBroadcast(event: string, payload: unknown): void {
    // Per socket, not io.emit: each goes through that socket's role check (guardEmits).
    for (const socket of this.io.sockets.sockets.values()) {
      if (mayReceive(socket, event)) socket.volatile.emit(event, payload);
      else this.withheldTotal++;
    }
  }

  private push(): void {
    if (this.fleet && this.fleetOutbox.length > 0) {
      this.fleet.share('logs', this.fleetOutbox.map((l) => l.json()));
      this.fleetOutbox = [];
    }
    for (const c of this.clients.values()) {
      if (c.queue.length === 0 && c.missed === 0) continue;
      if (unsentPackets(c.socket) > MAX_UNSENT_PACKETS) continue;
      const skipped = Math.max(0, c.queue.length - MAX_LINES_PER_BATCH * MAX_BACKLOG_PUSHES);
      const lines = c.queue.slice(skipped, skipped + MAX_LINES_PER_BATCH).map((l) => l.json());
      c.queue = c.queue.slice(skipped + lines.length);
      this.droppedTotal += skipped;
      c.socket.emit('logs:batch', { lines, missed: c.missed + skipped });
      c.missed = 0;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.io.disconnectSockets(true);
    await this.fleet?.close();
    // The HTTP server is closed by its owner; io.close() would close it too early.
    this.io.engine.close();
  }
}

/**
 * The one emit path: every event to this socket, from the hub or any area's `onConnect` handler,
 * passes the role rule for that event, so no payload reaches a role that may not see it.
 */
function guardEmits(socket: Socket, onWithheld: () => void): void {
  const emit = socket.emit.bind(socket);
  socket.emit = ((event: string, ...args: unknown[]) => {
    if (!mayReceive(socket, event)) {
      // A withheld `socket.volatile.emit` must not leave its flag on for the next event.
      (socket as unknown as { flags: object }).flags = {};
      onWithheld();
      return false;
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
}

function mayReceive(socket: Socket, event: string): boolean {
  return allows((socket.data as { role?: Role }).role ?? null, eventAccess(event));
}

function unsentPackets(socket: Socket): number {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[] };
  return Array.isArray(conn.writeBuffer) ? conn.writeBuffer.length : 0;
}
