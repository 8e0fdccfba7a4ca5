import { describe, expect, it } from 'vitest';
import { parseProcNetUdp } from '../../parsers/proc-net-udp.js';

// Lines of the shape Linux 6.x prints (udp6 has 32-hex-digit addresses); made up, not copied.
const TABLE = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
  '  118: 0100007F:C350 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 417221 2 0000000000000000 1234     ',
  ' 2301: 00000000000000000000000001000000:0202 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0',
  'garbage that is not a row',
  '',
].join('\n');

describe('/proc/net/udp', () => {
  it('reads port, receive queue, inode and the drop count of each socket', () => {
    expect(parseProcNetUdp(TABLE)).toEqual([
      { localPort: 50000, rxQueueBytes: 0xa00, inode: 417221, drops: 1234 },
      { localPort: 514, rxQueueBytes: 0, inode: 99, drops: 0 },
    ]);
  });

  it('skips what is not a row instead of failing', () => {
    expect(parseProcNetUdp('')).toEqual([]);
    expect(parseProcNetUdp('1: x y\n')).toEqual([]);
  });
});
