// Placeholder until the ClickHouse calls domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { CallStore } from '../call-store.js';

export class ClickHouseCalls {
  constructor(readonly ctx: FleetContext) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseCalls extends CallStore {}
