// Placeholder until the ClickHouse recordings domain lands (being written now).
import type { ServerFeatures } from './connection.js';
import type { FleetContext } from './context.js';
import type { RecordingStore } from '../recording-store.js';

export class ClickHouseRecordings {
  constructor(readonly ctx: FleetContext) {}
  static tables(_features: ServerFeatures): string[] { return []; }
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface ClickHouseRecordings extends RecordingStore {}
