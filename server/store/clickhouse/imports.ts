// Placeholder until the ClickHouse imports domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { ImportStore } from '../import-store.js';
import type { ClickHouseCalls } from './calls.js';

export class ClickHouseImports {
  constructor(readonly ctx: FleetContext, readonly calls: ClickHouseCalls) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseImports extends ImportStore {}
