/**
 * Which networks a listener accepts traffic from. Built on node:net's BlockList, which compares
 * addresses as numbers and matches IPv4-mapped IPv6 senders (::ffff:a.b.c.d) against IPv4 rules.
 */
import { BlockList, isIP } from 'node:net';

export interface AllowList {
  /** The networks as given, for /api/health. */
  readonly networks: readonly string[];
  allows(address: string): boolean;
}

/** `''` allows everyone; otherwise comma-separated addresses and CIDR networks, IPv4 and IPv6. */
export function parseAllowList(text: string): AllowList | null {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return null;
  const list = new BlockList();
  for (const item of items) {
    const [addr = '', prefixText, extra] = item.split('/');
    const family = isIP(addr);
    if (family === 0 || extra !== undefined) throw new Error(`"${item}" is not an address or CIDR network (e.g. 10.1.0.0/16, 2001:db8::/32)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(addr, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${item}": prefix length must be 0-${family === 4 ? 32 : 128}`);
    list.addSubnet(addr, prefix, type);
  }
  return {
    networks: items,
    allows: (address) => {
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
