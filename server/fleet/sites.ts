/**
 * Sites by subnet: `Berlin=10.1.0.0/16,10.2.0.0/16;Paris=10.3.0.0/16`. A phone's site is the first
 * whose networks hold its address; the rest are `unassigned`. Used for labels (metrics) and for
 * the fleet quality breakdowns.
 */
import { parseAllowList, type AllowList } from '../sources/allow-list.js';

export const UNASSIGNED_SITE = 'unassigned';
const SITE_NAME = /^[\p{L}\p{N} ._-]{1,64}$/u;

export interface SiteMap {
  readonly names: readonly string[];
  siteOf(address: string): string;
}

export function parseSites(text: string): SiteMap {
  const sites: Array<{ name: string; networks: AllowList }> = [];
  for (const entry of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (!SITE_NAME.test(name)) throw new Error(`site "${entry}": give NAME=CIDR[,CIDR…] with a name of letters, digits, space, . _ -`);
    const networks = parseAllowList(entry.slice(eq + 1));
    if (!networks) throw new Error(`site "${name}" names no network`);
    sites.push({ name, networks });
  }
  return {
    names: sites.map((s) => s.name),
    siteOf: (address) => sites.find((s) => s.networks.allows(address))?.name ?? UNASSIGNED_SITE,
  };
}
