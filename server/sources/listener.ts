/** What every network listener reports about itself, and the bind errors people can act on. */
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
}

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
