/**
 * The sites table in force: the one an admin saved on the admin page, else the config's (--sites).
 * One object for the process, handed to metrics, the quality view, the calls list and alerts, so a
 * saved table applies to all of them at once. A saved table, even an empty one, wins over the
 * config's until the admin reverts to it.
 */
import type { SettingsStore } from '../store/auth-store.js';
import { parseSites, type SiteMap } from './sites.js';

export const SITES_SETTING = 'sites';
export type SitesSource = 'admin' | 'config' | 'none';

export class SiteTable implements SiteMap {
  private map: SiteMap;
  private saved: string | null = null;

  constructor(readonly configText: string) {
    this.map = parseSites(configText);
  }

  get names(): readonly string[] {
    return this.map.names;
  }

  siteOf(address: string): string {
    return this.map.siteOf(address);
  }

  /** The table's text as in force. */
  get text(): string {
    return this.saved ?? this.configText;
  }

  get source(): SitesSource {
    if (this.saved !== null) return 'admin';
    return this.configText.trim() ? 'config' : 'none';
  }

  /** Puts a table in force (null: the config's); throws, changing nothing, when it does not parse. */
  use(saved: string | null): void {
    this.map = parseSites(saved ?? this.configText);
    this.saved = saved;
  }

  /** The saved table, read at start; one that cannot be read or parsed leaves the config's in force. */
  async load(settings: SettingsStore, warn: (text: string) => void): Promise<void> {
    try {
      this.use(await settings.getSetting(SITES_SETTING));
    } catch (err) {
      warn(`sites: the table saved on the admin page is not used (${(err as Error).message}); using --sites\n`);
    }
  }
}
