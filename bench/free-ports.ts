/** Free loopback ports for tests: all held open while choosing so they are distinct, then freed. */
import dgram from 'node:dgram';
import net from 'node:net';

function listenTcp(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

export async function freePorts(tcpCount: number, udpCount: number): Promise<{ tcp: number[]; udp: number[] }> {
  const tcp = await Promise.all(Array.from({ length: tcpCount }, listenTcp));
  const udp = await Promise.all(Array.from({ length: udpCount }, bindUdp));
  const ports = { tcp: tcp.map((s) => (s.address() as net.AddressInfo).port), udp: udp.map((s) => s.address().port) };
  await Promise.all([
    ...tcp.map((s) => new Promise((r) => s.close(r))),
    ...udp.map((s) => new Promise<void>((r) => s.close(() => r()))),
  ]);
  return ports;
}
