/**
 * Linux's per-socket UDP table (/proc/net/udp, /proc/net/udp6): the kernel counts here what it
 * dropped on a socket because its receive buffer was full, before the process read a byte. That is
 * the only place those losses show, so the collector reads it to keep "received + dropped" honest.
 */

export interface UdpSocketRow {
  /** Local port the socket is bound to. */
  readonly localPort: number;
  /** Bytes waiting in the socket's receive queue. */
  readonly rxQueueBytes: number;
  readonly inode: number;
  /** Datagrams the kernel discarded on this socket (buffer full, bad checksum). */
  readonly drops: number;
}

/**
 * Parses the table's text; the header line and lines of another shape are skipped, since kernels
 * have added columns over time and only the named ones are read (`drops` is the last column).
 */
export function parseProcNetUdp(text: string): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13 || !/^\d+:$/.test(f[0]!)) continue;
    const local = f[1]!.split(':');
    const queues = f[4]!.split(':');
    const localPort = Number.parseInt(local[local.length - 1]!, 16);
    const rxQueueBytes = Number.parseInt(queues[1] ?? '', 16);
    const inode = Number(f[9]);
    const drops = Number(f[f.length - 1]);
    if (![localPort, rxQueueBytes, inode, drops].every(Number.isFinite)) continue;
    rows.push({ localPort, rxQueueBytes, inode, drops });
  }
  return rows;
}
