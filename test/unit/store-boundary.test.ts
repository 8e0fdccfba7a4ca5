import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const rel = (p: string) => path.relative(ROOT, p).split(path.sep).join('/');
const imports = (p: string) => [...readFileSync(p, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => path.resolve(path.dirname(p), m[1]!));

describe('store and JSON boundaries', () => {
  it('lets only the backend picker reach into a store backend (SQLite or ClickHouse)', () => {
    const backends = ['sqlite', 'clickhouse'].map((b) => path.join(ROOT, 'server/store', b) + path.sep);
    const inside = (f: string) => backends.some((b) => f.startsWith(b));
    const offenders = ['server', 'web/src', 'bench'].flatMap((d) => tsFiles(path.join(ROOT, d)))
      .filter((f) => !inside(f) && rel(f) !== 'server/store/open-store.ts')
      .filter((f) => imports(f).some(inside));
    expect(offenders.map(rel)).toEqual([]);
  });

  it('keeps JSON shapes out of route files: live, pipeline, bundles and commands never import api/', () => {
    const api = path.join(ROOT, 'server/api');
    const offenders = ['live', 'pipeline', 'bundles', 'commands', 'calls'].flatMap((d) => tsFiles(path.join(ROOT, 'server', d)))
      .filter((f) => imports(f).some((i) => i.startsWith(api + path.sep)));
    expect(offenders.map(rel)).toEqual([]);
  });
});
