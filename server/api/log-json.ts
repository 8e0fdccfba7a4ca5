/** The one JSON shape of a log line, shared by the REST API and the live push. */
import { SEVERITY_NAMES } from '../../parsers/syslog.js';
import type { LogRecord } from '../store/types.js';

export interface LogLineJson {
  id: number;
  receivedAt: string;
  deviceTime: string | null;
  deviceTs: string | null;
  device: { id: number; address: string };
  source: string;
  format: string;
  facility: number | null;
  severity: number | null;
  severityName: string | null;
  hostname: string | null;
  app: string | null;
  pid: string | null;
  msgid: string | null;
  module: string;
  seq: number | null;
  sid: string | null;
  message: string;
  raw: string;
  structuredData: LogRecord['structuredData'];
  warnings: readonly string[];
  importId: number | null;
}

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
