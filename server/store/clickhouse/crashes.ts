// Placeholder until the ClickHouse crashes domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { CrashStore, SymbolStore } from '../crash-store.js';

export class ClickHouseCrashes {
  constructor(readonly ctx: FleetContext) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseCrashes extends CrashStore, SymbolStore {}
