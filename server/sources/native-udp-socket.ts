/**
 * A UDP socket read by the recvmmsg addon (native/recvmmsg.c), for the receiver threads: one call
 * fills a whole batch. Absent where the addon was not built (no C compiler when installing, not
 * Linux) or when IPP_UDP_READER=dgram asks for Node's socket (to compare the two); the caller then
 * reads with dgram.
 */
import { createRequire } from 'node:module';
import { isIPv4 } from 'node:net';
import { bindAttempts, bindFailedStatus, listeningStatus, tryNextFamily, type UdpBindOptions } from './udp-listener.js';
import type { ListenerStatus } from './listener.js';

interface Addon {
  open(address: string, port: number, ipv6: boolean, receiveBufferBytes: number): [handle: unknown, port: number, grantedBytes: number];
  receive(handle: unknown, bytes: Uint8Array, ends: Uint32Array, from: Uint32Array, ports: Uint16Array, flushMs: number, idleMs: number, addresses: string[]): number;
  close(handle: unknown): void;
}

export interface NativeUdpSocket {
  /** Fills the arrays (see native/recvmmsg.c); 0 when nothing came within idleMs. */
  receive(bytes: Uint8Array, ends: Uint32Array, from: Uint32Array, ports: Uint16Array, flushMs: number, idleMs: number, addresses: string[]): number;
  close(): void;
}

function loadAddon(): Addon | null {
  if (process.env.IPP_UDP_READER === 'dgram') return null;
  try {
    return createRequire(import.meta.url)('./native/recvmmsg.node') as Addon;
  } catch {
    return null;
  }
}

/** Null without the addon; else the bound socket, or a failed status with one sentence, as bindUdpSocket gives. */
export function bindNativeUdpSocket(o: UdpBindOptions): { socket: NativeUdpSocket | null; status: ListenerStatus } | null {
  const addon = loadAddon();
  if (!addon) return null;
  const attempts = bindAttempts(o.bind);
  for (let i = 0; ; i++) {
    const { address } = attempts[i]!;
    try {
      const [handle, port, granted] = addon.open(address, o.port, !isIPv4(address), o.receiveBufferBytes);
      const socket: NativeUdpSocket = {
        receive: (bytes, ends, from, ports, flushMs, idleMs, addresses) => addon.receive(handle, bytes, ends, from, ports, flushMs, idleMs, addresses),
        close: () => addon.close(handle),
      };
      // Linux reports twice the size it was asked for (bookkeeping overhead included).
      return { socket, status: listeningStatus(o, address, port, Math.round(granted / 2), 'recvmmsg') };
    } catch (err) {
      if (i + 1 < attempts.length && tryNextFamily(err as NodeJS.ErrnoException)) continue;
      return { socket: null, status: bindFailedStatus(o, address, err as NodeJS.ErrnoException) };
    }
  }
}
