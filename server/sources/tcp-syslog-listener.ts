/** Syslog over TCP (RFC 6587): one framer per connection, frames handed on like UDP datagrams. */
import net from 'node:net';
import tls from 'node:tls';
import { SyslogFramer } from '../../parsers/syslog-framing.js';
import { endGently, listenTcp, plainAddress, type Listener } from './listener.js';
import type { SourceGuard } from './source-guard.js';

export interface TcpSyslogListenerOptions {
  readonly name: string;
  readonly bind: string;
  readonly port: number;
  readonly flag: string;
  readonly maxConnections: number;
  readonly onFrame: (frame: Buffer, fromAddress: string) => void;
  /** A connection whose stream could not be framed; it is closed after this. */
  readonly onFramingError: (reason: string, fromAddress: string, head: Buffer) => void;
  /** Allow-list (checked per connection) and per-sender rate limit (per frame). */
  readonly guard?: SourceGuard;
  /** Certificate and key: syslog over TLS (RFC 5425, same framing inside the TLS stream). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export function startTcpSyslogListener(o: TcpSyslogListenerOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    const from = plainAddress(socket.remoteAddress ?? 'unknown');
    if (o.guard && !o.guard.allowsSender(from)) {
      socket.destroy();
      return;
    }
    const framer = new SyslogFramer();
    sockets.add(socket);
    socket.on('data', (chunk) => {
      const { frames, error } = framer.push(chunk);
      for (const f of frames) if (!o.guard || o.guard.admit(from)) o.onFrame(f, from);
      if (error) {
        o.onFramingError(error.message, from, chunk.subarray(0, 64));
        socket.destroy();
      }
    });
    socket.on('end', () => {
      const rest = framer.end();
      if (rest && (!o.guard || o.guard.admit(from))) o.onFrame(rest, from);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = o.tls ? tls.createServer({ cert: o.tls.cert, key: o.tls.key }, onConnection) : net.createServer(onConnection);
  // A TLS handshake that fails (plain text, wrong certificate) is the peer's problem, not a crash.
  server.on('tlsClientError', () => undefined);
  server.maxConnections = o.maxConnections;
  return listenTcp(server, o, () => endGently(sockets));
}
