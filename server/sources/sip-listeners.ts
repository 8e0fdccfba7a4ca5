/**
 * SIP over UDP and TCP on one port (RFC 3261 §18: a UAS listens on both). UDP datagrams are one
 * message each; TCP streams go through `SipStreamFramer` (Content-Length framing, several messages
 * per segment, one message across segments, CRLF keep-alives). Answers go back on the same
 * connection or socket they came from.
 */
import net from 'node:net';
import { SipStreamFramer } from '../../parsers/sip-stream.js';
import type { SipReportReceiver } from '../pipeline/quality/sip-receiver.js';
import { endGently, listenTcp, plainAddress, type Listener } from './listener.js';
import type { SourceGuard } from './source-guard.js';
import { startUdpListener } from './udp-listener.js';

/** A phone keeps one connection to its collector; this bounds a misbehaving fleet or a scan. */
const MAX_SIP_TCP_CONNECTIONS = 1000;
/** RFC 5626 keep-alives come every ~2 minutes; a connection silent for longer than this is closed. */
const TCP_IDLE_TIMEOUT_MS = 300_000;

export interface SipListenerOptions {
  readonly bind: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  readonly receiver: SipReportReceiver;
  /** A TCP stream that broke framing (it is closed); counted by the caller. */
  readonly onFramingError: (reason: string, fromAddress: string, head: Uint8Array) => void;
  /** Allow-list and per-sender rate limit of each listener (sip-udp, sip-tcp). */
  readonly guardFor?: (listener: string) => SourceGuard;
}

export async function startSipListeners(o: SipListenerOptions): Promise<Listener[]> {
  const udp = await startUdpListener({
    name: 'sip-udp', bind: o.bind, port: o.port, flag: '--sip-port', receiveBufferBytes: o.receiveBufferBytes,
    ...(o.guardFor ? { guard: o.guardFor('sip-udp') } : {}),
    onDatagram: (data, address, port, reply) => {
      o.receiver.handle('sip-udp', data, { address, port }).then((answer) => { if (answer) reply(answer); }, () => undefined);
    },
  });
  // Port 0 means "any free port" only in tests; TCP then follows the port UDP got, as phones expect both on one.
  const tcpPort = o.port === 0 && udp.status.state === 'listening' ? udp.status.port : o.port;
  const tcp = await startSipTcpListener({ ...o, port: tcpPort });
  return [udp, tcp];
}

function startSipTcpListener(o: SipListenerOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const guard = o.guardFor?.('sip-tcp');
  const server = net.createServer((socket) => {
    const from = { address: plainAddress(socket.remoteAddress ?? 'unknown'), port: socket.remotePort ?? 0 };
    if (guard && !guard.allowsSender(from.address)) {
      socket.destroy();
      return;
    }
    const framer = new SipStreamFramer();
    sockets.add(socket);
    socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
    // Answers are written in request order even when a later report is stored first.
    let pending: Promise<unknown> = Promise.resolve();
    socket.on('data', (chunk) => {
      const { events, error } = framer.push(chunk);
      for (const e of events) {
        if (e.kind === 'ping') {
          pending = pending.then(() => { if (socket.writable) socket.write('\r\n'); });
          continue;
        }
        if (guard && !guard.admit(from.address)) continue;
        const answer = o.receiver.handle('sip-tcp', e.bytes, from);
        pending = pending.then(() => answer).then((text) => { if (text && socket.writable) socket.write(text); }, () => undefined);
      }
      if (error) {
        o.onFramingError(error.message, from.address, chunk.subarray(0, 64));
        void pending.then(() => socket.destroy());
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = MAX_SIP_TCP_CONNECTIONS;
  return listenTcp(server, { name: 'sip-tcp', bind: o.bind, port: o.port, flag: '--sip-port' }, () => endGently(sockets));
}
