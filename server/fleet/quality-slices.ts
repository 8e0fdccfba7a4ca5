/**
 * What the quality view groups by, as the store needs it: each device's site, model or firmware
 * now (sites from the subnet table in force), and the calls-list filter that names one breakdown
 * row (`?model=420HD`, `?peer=pbx.example.com`, `(none)` for the row of unknown values).
 */
import { DEVICE_DIMENSIONS, QUALITY_DIMENSIONS, type QualityDimension, type QualitySlice, type QualitySliceValue } from '../store/call-quality.js';
import type { DeviceRecord } from '../store/types.js';
import { NO_VALUE } from '../json/quality.js';
import { BadRequest, optionalString } from '../api/params.js';
import type { SiteMap } from './sites.js';

const MAX_VALUE_CHARS = 256;

export function sliceFor(by: QualityDimension, devices: readonly DeviceRecord[], sites: SiteMap): QualitySlice {
  if (!DEVICE_DIMENSIONS.has(by)) return { by };
  const valueOf = (d: DeviceRecord) => (by === 'site' ? sites.siteOf(d.address) : by === 'model' ? d.model : d.firmware);
  return { by, deviceValues: devices.flatMap((d) => { const v = valueOf(d); return v ? [[d.id, v] as const] : []; }) };
}

/** The one dimension filter of a calls-list query, if any (two at once are refused: a row names one). */
export function sliceFromQuery(q: Record<string, unknown>, devices: () => readonly DeviceRecord[], sites: SiteMap): QualitySliceValue | undefined {
  const given = QUALITY_DIMENSIONS.flatMap((by) => { const v = optionalString(q, by, MAX_VALUE_CHARS); return v === undefined ? [] : [{ by, v }]; });
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new BadRequest(`${given.map((g) => g.by).join(', ')}: filter by one of them at a time`);
  const { by, v } = given[0]!;
  return { ...sliceFor(by, devices(), sites), value: v === NO_VALUE ? null : v };
}
