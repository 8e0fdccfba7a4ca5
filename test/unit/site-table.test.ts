// The sites table in force: the config's until an admin saves one (even an empty one), back to the
// config's on revert; a table that does not parse changes nothing, and a broken saved one at start
// leaves the config's in force with a warning.
import { describe, expect, it } from 'vitest';
import { SiteTable } from '../../server/fleet/site-table.js';
import type { SettingsStore } from '../../server/store/auth-store.js';

const settings = (saved: string | null | Error): SettingsStore => ({
  getSetting: async () => {
    if (saved instanceof Error) throw saved;
    return saved;
  },
  putSetting: async () => undefined,
});

describe('site table', () => {
  it('answers by the config until a saved table replaces it, and again after a revert', () => {
    const t = new SiteTable('Rome=10.3.0.0/16');
    expect([t.source, t.siteOf('10.3.1.1'), t.names]).toEqual(['config', 'Rome', ['Rome']]);
    t.use('Berlin=10.1.0.0/16;Paris=10.2.0.0/16');
    expect([t.source, t.text, t.siteOf('10.3.1.1'), t.siteOf('10.2.9.9'), t.names]).toEqual(['admin', 'Berlin=10.1.0.0/16;Paris=10.2.0.0/16', 'unassigned', 'Paris', ['Berlin', 'Paris']]);
    t.use('');
    expect([t.source, t.siteOf('10.2.9.9'), t.names]).toEqual(['admin', 'unassigned', []]);
    t.use(null);
    expect([t.source, t.text, t.siteOf('10.3.1.1')]).toEqual(['config', 'Rome=10.3.0.0/16', 'Rome']);
    expect(new SiteTable('').source).toBe('none');
  });

  it('keeps what is in force when a table does not parse', () => {
    const t = new SiteTable('Rome=10.3.0.0/16');
    expect(() => t.use('Rome')).toThrow(/NAME=CIDR/);
    expect([t.source, t.siteOf('10.3.1.1')]).toEqual(['config', 'Rome']);
  });

  it('loads the saved table at start, or warns and keeps the config when it cannot', async () => {
    const warnings: string[] = [];
    const t = new SiteTable('Rome=10.3.0.0/16');
    await t.load(settings('Oslo=10.4.0.0/16'), (w) => warnings.push(w));
    expect([t.source, t.siteOf('10.4.0.1'), warnings]).toEqual(['admin', 'Oslo', []]);
    const broken = new SiteTable('Rome=10.3.0.0/16');
    await broken.load(settings('Oslo=not-a-network'), (w) => warnings.push(w));
    await broken.load(settings(new Error('store down')), (w) => warnings.push(w));
    expect([broken.source, broken.siteOf('10.3.0.1')]).toEqual(['config', 'Rome']);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('store down');
  });
});
