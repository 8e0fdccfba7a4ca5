/**
 * A UDP listener that hands each datagram, as the exact bytes received, to a handler. Replaces the
 * `syslog-server` package (see docs/decisions.md): that one keeps a single socket per process,
 * binds IPv4 only and turns bytes into lossy UTF-8 strings.
 */
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { explainBindError, plainAddress, type Listener, type ListenerStatus, type UdpReader } from './listener.js';
import type { SourceGuard } from './source-guard.js';

export interface UdpBindOptions {
  readonly name: string;
  readonly bind: string;
  readonly port: number;
  readonly flag: string;
  readonly receiveBufferBytes: number;
}

export interface UdpListenerOptions extends UdpBindOptions {
  /** `reply` sends a datagram back to the sender from this socket (SIP answers this way). */
  readonly onDatagram: (data: Buffer, fromAddress: string, fromPort: number, reply: (data: Uint8Array | string) => void) => void;
  /** Allow-list and per-sender rate limit; what it turns away never reaches `onDatagram`. */
  readonly guard?: SourceGuard;
}

/** Binds and reads on this thread: for the listeners whose rate is low or that answer (SIP, HEP, reports). */
export async function startUdpListener(o: UdpListenerOptions): Promise<Listener> {
  const { socket, status } = await bindUdpSocket(o);
  if (!socket) return { status, close: async () => undefined };
  socket.on('message', (msg, rinfo) => {
    const from = plainAddress(rinfo.address);
    if (o.guard && !o.guard.admit(from)) return;
    o.onDatagram(msg, from, rinfo.port,
      // rinfo's own address, not the plain one: a dual-stack socket reaches IPv4 peers as ::ffff:a.b.c.d.
      // A reply after close (an answer that waited for the store) is dropped, as the peer will retransmit.
      (data) => { try { socket.send(data, rinfo.port, rinfo.address, () => undefined); } catch { /* socket closed */ } });
  });
  return { status, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/**
 * Binds dual-stack on `::` when no address is given (IPv4 and IPv6 phones alike), else the
 * address's family. A bind failure comes back as a failed status with one sentence, never thrown.
 */
export function bindUdpSocket(o: UdpBindOptions): Promise<{ socket: dgram.Socket | null; status: ListenerStatus }> {
  return tryBind(o, bindAttempts(o.bind), 0);
}

function tryBind(o: UdpBindOptions, attempts: Array<{ type: 'udp4' | 'udp6'; address: string }>, i: number): Promise<{ socket: dgram.Socket | null; status: ListenerStatus }> {
  const { type, address } = attempts[i]!;
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type, ipv6Only: false, recvBufferSize: o.receiveBufferBytes });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      if (i + 1 < attempts.length && tryNextFamily(err)) {
        resolve(tryBind(o, attempts, i + 1));
        return;
      }
      resolve({ socket: null, status: bindFailedStatus(o, address, err) });
    });
    socket.bind({ port: o.port, address, exclusive: true }, () => {
      socket.removeAllListeners('error');
      // Errors after bind (e.g. ICMP unreachable on some platforms) must not kill the process.
      socket.on('error', () => undefined);
      const bound = socket.address();
      // Linux reports twice the size it was asked for (bookkeeping overhead included).
      resolve({ socket, status: listeningStatus(o, bound.address, bound.port, Math.round(socket.getRecvBufferSize() / 2), 'dgram') });
    });
  });
}

/** A bound UDP socket's status, with a hint when the kernel granted less receive buffer than asked for. */
export function listeningStatus(o: UdpBindOptions, address: string, port: number, granted: number, reader: UdpReader): ListenerStatus {
  return {
    name: o.name, transport: 'udp', address, port, state: 'listening', receiveBufferBytes: granted, reader,
    ...(granted < o.receiveBufferBytes
      ? { warning: `the kernel granted a ${mb(granted)} receive buffer of the ${mb(o.receiveBufferBytes)} asked for; bursts above it are lost before the collector sees them. Raise the cap: sysctl -w net.core.rmem_max=${o.receiveBufferBytes}` }
      : {}),
  };
}

/** A failed bind's status: one sentence that says what to do. */
export function bindFailedStatus(o: UdpBindOptions, address: string, err: NodeJS.ErrnoException): ListenerStatus {
  return { name: o.name, transport: 'udp', address, port: o.port, state: 'failed', error: explainBindError(err, 'udp', o.port, o.flag) };
}

/** The dual-stack wildcard first when no address is given, then IPv4's. */
export function bindAttempts(bind: string): Array<{ type: 'udp4' | 'udp6'; address: string }> {
  return bind ? [{ type: isIPv4(bind) ? 'udp4' : 'udp6', address: bind }] : [{ type: 'udp6', address: '::' }, { type: 'udp4', address: '0.0.0.0' }];
}

/** No IPv6 on this host: the next attempt (IPv4) rather than a failure. */
export function tryNextFamily(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL';
}

function mb(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MB`;
}
