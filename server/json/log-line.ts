/** A stored or live log line as JSON (the shape: ./types.ts), for the REST API, the live push and bundles. */
import { SEVERITY_NAMES } from '../../parsers/syslog.js';
import type { LogRecord } from '../store/types.js';
import type { LogLineJson } from './types.js';

export type { LogLineJson } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function logLineJson(r: LogRecord, deviceAddress: string): LogLineJson {
  return {
    id: r.id,
    receivedAt: new Date(r.receivedAt).toISOString(),
    deviceTime: r.deviceTime,
    deviceTs: r.deviceTs === null ? null : new Date(r.deviceTs).toISOString(),
    device: { id: r.deviceId, address: deviceAddress },
    source: r.source,
    format: r.format,
    facility: r.facility,
    severity: r.severity,
    severityName: r.severity === null ? null : SEVERITY_NAMES[r.severity] ?? null,
    hostname: r.hostname,
    app: r.app,
    pid: r.pid,
    msgid: r.msgid,
    module: r.module,
    seq: r.seq,
    sid: r.sid,
    message: r.message,
    raw: utf8.decode(r.raw),
    structuredData: r.structuredData,
    warnings: r.warnings,
    importId: r.importId,
  };
}
