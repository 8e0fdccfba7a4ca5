// Placeholder until the ClickHouse auth domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { AuthStore } from '../auth-store.js';

export class ClickHouseAuth {
  constructor(readonly ctx: FleetContext) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseAuth extends AuthStore {}
