/** Sends syslog the way phones do, for integration tests. */
import dgram from 'node:dgram';
import net from 'node:net';

export async function sendUdp(port: number, datagrams: ReadonlyArray<string | Uint8Array>, host = '127.0.0.1'): Promise<void> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) => socket.send(typeof d === 'string' ? Buffer.from(d) : d, port, host, (err) => (err ? reject(err) : resolve())));
  }
  socket.close();
}

/** Writes the chunks to one TCP connection, each in its own write, then closes it. */
export async function sendTcp(port: number, chunks: ReadonlyArray<string | Uint8Array>, host = '127.0.0.1'): Promise<void> {
  const socket = net.connect({ port, host });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (const c of chunks) {
    await new Promise<void>((resolve, reject) => socket.write(c, (err) => (err ? reject(err) : resolve())));
    // Separate segments on the wire, so framing across reads is exercised.
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/** Polls until the check passes or the time is up; returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
