/**
 * Collectors sharing one fleet store hand each other their live events through Redis (socket.io's
 * Redis adapter and its server-side emits), so a browser on any collector sees every collector's
 * live tail and call updates. What comes from a peer is delivered locally and never sent on, so
 * events do not circle.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server } from 'socket.io';

export type PeerHandler = (payload: unknown) => void;

export interface FleetRelay {
  /** Sends to every other collector; never back to this one. */
  share(channel: string, payload: unknown): void;
  onPeer(channel: string, handler: PeerHandler): void;
  close(): Promise<void>;
  /** A sentence when Redis is not answering, for health. */
  readonly error: string | null;
  readonly sent: number;
  readonly received: number;
}

const EVENT = 'ipp:fleet';

export async function startFleetRelay(io: Server, url: string): Promise<FleetRelay> {
  const pub = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(retries * 200, 2000) } });
  const sub = pub.duplicate();
  let error: string | null = null;
  const onError = (err: Error) => { error = `Redis at ${redactedUrl(url)}: ${err.message}`; };
  pub.on('error', onError);
  sub.on('error', onError);
  pub.on('ready', () => { error = null; });
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
  const handlers = new Map<string, PeerHandler[]>();
  const relay = {
    error: null as string | null,
    sent: 0,
    received: 0,
    share(channel: string, payload: unknown) {
      relay.sent++;
      io.serverSideEmit(EVENT, channel, payload);
    },
    onPeer(channel: string, handler: PeerHandler) {
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]);
    },
    async close() {
      await Promise.all([pub.quit().catch(() => undefined), sub.quit().catch(() => undefined)]);
    },
  };
  Object.defineProperty(relay, 'error', { get: () => error });
  io.on(EVENT, (channel: unknown, payload: unknown) => {
    if (typeof channel !== 'string') return;
    relay.received++;
    for (const h of handlers.get(channel) ?? []) h(payload);
  });
  return relay;
}

function redactedUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//…@');
}
