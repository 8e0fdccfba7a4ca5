/**
 * The JSON shapes the server sends (REST API, live push, bundles, CLI output), in one module the
 * dashboard imports too (web/src/types.ts), so the two cannot drift. Types only, and imports only
 * from parsers/: web/ compiles it without Node's types.
 */
import type { SdElement } from '../../parsers/syslog.js';

/** The one JSON shape of a log line, shared by the REST API and the live push. */
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
  structuredData: readonly SdElement[] | null;
  warnings: readonly string[];
  importId: number | null;
}
