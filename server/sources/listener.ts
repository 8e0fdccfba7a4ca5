/** What every network listener reports about itself, and the bind errors people can act on. */
import type net from 'node:net';
export type ListenerState = 'listening' | 'disabled' | 'failed';

export interface ListenerStatus {
  readonly name: string;
  readonly transport: 'udp' | 'tcp';
  readonly address: string;
  readonly port: number;
  readonly state: ListenerState;
  readonly error?: string;
  /** UDP: the kernel receive buffer actually granted, and a hint when it is less than asked for. */
  readonly receiveBufferBytes?: number;
  readonly warning?: string;
  /** UDP: how the socket is read (see UdpReader). */
  readonly reader?: UdpReader;
}

/** `recvmmsg`: batches read by the native addon (sources/native/); `dgram`: Node's socket, one datagram per callback. */
export type UdpReader = 'recvmmsg' | 'dgram';

export interface Listener {
  readonly status: ListenerStatus;
  close(): Promise<void>;
}

export function disabledListener(name: string, transport: 'udp' | 'tcp'): Listener {
  return { status: { name, transport, address: '', port: 0, state: 'disabled' }, close: async () => undefined };
}

export function failedListener(name: string, transport: 'udp' | 'tcp', address: string, port: number, error: string): Listener {
  return { status: { name, transport, address, port, state: 'failed', error }, close: async () => undefined };
}

/** One sentence with the fix, instead of a stack trace. */
export function explainBindError(err: NodeJS.ErrnoException, transport: 'udp' | 'tcp', port: number, flag: string): string {
  const proto = transport.toUpperCase();
  if (err.code === 'EACCES') {
    return `cannot listen on ${proto} port ${port}: permission denied. Ports below 1024 need root or the ` +
      `CAP_NET_BIND_SERVICE capability: either use an unprivileged port (${flag} 5514, and point the phones at it), ` +
      `or grant the capability once: sudo setcap 'cap_net_bind_service=+ep' "$(command -v node)"`;
  }
  if (err.code === 'EADDRINUSE') {
    return `cannot listen on ${proto} port ${port}: another program already uses it (see which: ss -lnp 'sport = :${port}'); ` +
      `stop it or choose another port with ${flag}`;
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return `cannot listen on ${proto} port ${port}: the --bind address is not an address of this machine`;
  }
  return `cannot listen on ${proto} port ${port}: ${err.message}`;
}

/** `::ffff:10.0.0.5` (IPv4 on a dual-stack socket) is the phone at 10.0.0.5. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export interface TcpListenOptions {
  readonly name: string;
  readonly bind: string;
  readonly port: number;
  readonly flag: string;
}

/**
 * Binds a TCP (or TLS) server and reports it as a listener; a bind failure becomes a failed
 * listener with one sentence, never an exception. `closeConnections` runs after the server stops
 * accepting, so each listener decides how gently its peers are let go.
 */
export function listenTcp(server: net.Server, o: TcpListenOptions, closeConnections: () => void): Promise<Listener> {
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(failedListener(o.name, 'tcp', o.bind || '::', o.port, explainBindError(err, 'tcp', o.port, o.flag)));
    });
    // Without a host, Node listens dual-stack on :: where IPv6 exists, else on 0.0.0.0.
    server.listen({ port: o.port, ...(o.bind ? { host: o.bind } : {}), exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      const a = server.address() as net.AddressInfo;
      resolve({
        status: { name: o.name, transport: 'tcp', address: a.address, port: a.port, state: 'listening' },
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          closeConnections();
        }),
      });
    });
  });
}

/** Lets connected senders' last frames in, then closes them. */
export function endGently(sockets: Iterable<net.Socket>): void {
  for (const s of sockets) s.end();
  setTimeout(() => { for (const s of sockets) s.destroy(); }, 500).unref();
}
