/**
 * HEP (Homer encapsulation protocol) on one port over UDP and TCP: what capture agents next to a
 * PBX or SBC (heplify, captagent, Kamailio siptrace, FreeSWITCH, Asterisk res_hep, OpenSIPS) send
 * of the packets they saw. Each packet is decoded with `parsers/hep.ts` and handed on with the
 * sender's address; a TCP stream is framed by HEP3's length field and closed when it stops being
 * HEP3. Agents expect no answer.
 */
import net from 'node:net';
import { decodeHep, hepFrameLength, type HepPacket } from '../../parsers/hep.js';
import { isDecodeError } from '../../parsers/decode-error.js';
import { listenTcp, plainAddress, type Listener } from './listener.js';
import type { SourceGuard } from './source-guard.js';
import { startUdpListener } from './udp-listener.js';

const MAX_HEP_TCP_CONNECTIONS = 1000;
/** Agents reconnect on their own; a connection silent this long is closed. */
const TCP_IDLE_TIMEOUT_MS = 300_000;
const HEP3_MAGIC = Buffer.from('HEP3');

export interface HepListenerOptions {
  readonly bind: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  /** A decoded packet, from the agent's address. */
  readonly onPacket: (hep: HepPacket, fromAddress: string, listener: 'hep-udp' | 'hep-tcp') => void;
  /** A datagram or stream that is not HEP (the stream is closed); counted by the caller. */
  readonly onMalformed: (listener: 'hep-udp' | 'hep-tcp', reason: string, fromAddress: string, head: Uint8Array) => void;
  readonly guardFor?: (listener: string) => SourceGuard;
}

export async function startHepListeners(o: HepListenerOptions): Promise<Listener[]> {
  const udp = await startUdpListener({
    name: 'hep-udp', bind: o.bind, port: o.port, flag: '--hep-port', receiveBufferBytes: o.receiveBufferBytes,
    ...(o.guardFor ? { guard: o.guardFor('hep-udp') } : {}),
    onDatagram: (data, address) => deliver(o, 'hep-udp', data, address),
  });
  const tcpPort = o.port === 0 && udp.status.state === 'listening' ? udp.status.port : o.port;
  return [udp, await startHepTcpListener({ ...o, port: tcpPort })];
}

function deliver(o: HepListenerOptions, listener: 'hep-udp' | 'hep-tcp', data: Uint8Array, address: string): void {
  const hep = decodeHep(data);
  if (isDecodeError(hep)) o.onMalformed(listener, hep.message, address, data.subarray(0, 64));
  else o.onPacket(hep, address, listener);
}

function startHepTcpListener(o: HepListenerOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const guard = o.guardFor?.('hep-tcp');
  const server = net.createServer((socket) => {
    const address = plainAddress(socket.remoteAddress ?? 'unknown');
    if (guard && !guard.allowsSender(address)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setTimeout(TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length >= 4 && !pending.subarray(0, 4).equals(HEP3_MAGIC)) {
          o.onMalformed('hep-tcp', 'TCP stream is not HEP3 (no "HEP3" where a packet starts); closed', address, pending.subarray(0, 64));
          socket.destroy();
          return;
        }
        const length = hepFrameLength(pending);
        if (length === null) break;
        if (length < 6) {
          o.onMalformed('hep-tcp', `HEP3 length ${length} is less than its header; closed`, address, pending.subarray(0, 64));
          socket.destroy();
          return;
        }
        if (pending.length < length) break;
        if (guard && !guard.admit(address)) pending = pending.subarray(length);
        else {
          deliver(o, 'hep-tcp', pending.subarray(0, length), address);
          pending = pending.subarray(length);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = MAX_HEP_TCP_CONNECTIONS;
  return listenTcp(server, { name: 'hep-tcp', bind: o.bind, port: o.port, flag: '--hep-port' }, () => { for (const s of sockets) s.destroy(); });
}
