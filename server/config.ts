/**
 * One config object, parsed once at start and passed down. Precedence, highest first:
 * command-line flags, environment variables (IPP_*), the JSON config file, built-in defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_VERDICT_THRESHOLDS, type VerdictThresholds } from './analysis/e-model.js';
import { checkRule } from './alerts/rules.js';
import { parseSites } from './fleet/sites.js';
import { parseAllowList } from './sources/allow-list.js';
import { MAX_SLOTS } from './store/ids.js';
import { checkStoreUrl } from './store/open-store.js';
import type { NewAlertRule } from './store/alert-store.js';

/** The verdict thresholds (VerdictThresholds: spec §6.3 for RFC 6035/XR data, Microsoft CQD's classifier for QoE data) are settings too. */
export interface CollectorConfig extends VerdictThresholds {
  readonly dataDir: string;
  /** '' = the embedded SQLite store in dataDir; `clickhouse://user:pass@host:8123/db` = the fleet store. */
  readonly store: string;
  /** This collector's number among those sharing one fleet store (0–15, distinct per collector). */
  readonly collectorId: number;
  /** `redis://host:6379`: collectors sharing a fleet store pass live updates to each other's browsers through it. */
  readonly redis: string;
  readonly bind: string;
  readonly webPort: number;
  readonly syslogPort: number;
  readonly syslogTcpPort: number;
  /** SIP port for voice-quality reports (PUBLISH vq-rtcpxr, SERVICE QoE), UDP and TCP (0 disables). */
  readonly sipPort: number;
  /** HEP (Homer agents) on UDP and TCP. */
  readonly hepPort: number;
  /** Lines kept at most this many days. */
  readonly retentionDays: number;
  /** The database is trimmed, oldest lines first, to stay under this size. */
  readonly retentionMaxMb: number;
  /** Calls (with streams, segments, samples) that ended longer ago than this are deleted; active ones never. */
  readonly callsRetentionDays: number;
  /** Crash uploads, their crashes and files are deleted after this many days (a file still referenced stays). */
  readonly dumpsRetentionDays: number;
  /** Finished bundles (file and status) are deleted after this many hours. */
  readonly bundlesRetentionHours: number;
  /** A device counts as online when heard from within this many seconds. */
  readonly onlineWindowS: number;
  /** Lines held for the store before they are written in one transaction. */
  readonly storeBatchSize: number;
  readonly storeFlushIntervalMs: number;
  /** Lines waiting for the store beyond which new lines are dropped (and counted). */
  readonly storeMaxQueuedLines: number;
  /** The same bound in MiB of the waiting lines' raw bytes: a flood of long lines stops there first. */
  readonly storeMaxQueuedMb: number;
  /** Live lines queued for one slow browser before that browser misses lines. */
  readonly liveMaxQueuedPerClient: number;
  /** Kernel receive buffer asked for on each UDP socket (bytes); the OS may cap it. */
  readonly udpReceiveBufferBytes: number;
  /** UDP port for ACDR debug recordings from the phones (0 disables). */
  readonly recordingPort: number;
  /** A recorded call ends after this many seconds without a datagram (or 2 s after an RTCP BYE). */
  readonly recordingCallTimeoutS: number;
  /** Stored recording datagrams are trimmed, oldest calls first, to stay under this size. */
  readonly recordingsMaxMb: number;
  /** Folder watched for crash dumps copied in by hand ('' = off). */
  readonly dumpDropDir: string;
  /** Largest crash upload accepted, before unpacking (MiB). */
  readonly dumpMaxUploadMb: number;
  /** Largest capture upload accepted by POST /api/imports. */
  readonly importMaxUploadMb: number;
  /** Most bytes one upload may unpack to, all archive layers together (MiB): the decompression-bomb guard. */
  readonly dumpMaxUnpackedMb: number;
  /** Most tar/zip entries one upload may hold. */
  readonly dumpMaxArchiveEntries: number;
  /** `on`: dashboard and API need a login or a token; `off` (--no-auth): lab mode, everyone is admin. */
  readonly auth: string;
  /** PEM files: with both, the dashboard and API are served over HTTPS on the web port. */
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** Syslog over TLS (RFC 5425, octet-counted), needs tlsCert/tlsKey (0 disables; the standard port is 6514). */
  readonly syslogTlsPort: number;
  /** Networks (CIDR, comma-separated) each listener accepts; empty accepts any sender. */
  readonly allowSyslog: string;
  readonly allowRecordings: string;
  readonly allowSip: string;
  /** Sites by subnet, `Berlin=10.1.0.0/16,10.2.0.0/16;Paris=10.3.0.0/16`: labels for metrics and the fleet view. */
  readonly sites: string;
  /** Datagrams or frames per second each sender may send to one listener (token bucket; 0 = unlimited). */
  readonly sourceRateLimit: number;
  /** The bucket's depth: how many may come at once after a quiet spell (0 = one second's worth). */
  readonly sourceRateBurst: number;
  /** `smtp://[user:pass@]host:port` (or smtps://): where alert e-mail is sent ('' = no e-mail). */
  readonly smtpUrl: string;
  /** The From of alert e-mail. */
  readonly alertFrom: string;
  /** The dashboard's address as the people alerted reach it, for absolute links ('' = the address it listens on). */
  readonly publicUrl: string;
  /** Seconds between alert evaluations (0: only on POST /api/alerts/evaluate). */
  readonly alertIntervalS: number;
  /** Attempts per alert delivery before it is marked failed. */
  readonly alertMaxAttempts: number;
  /** Rules from the config file's `alerts.rules` (checked by server/alerts/rules.ts); none from flags or environment. */
  readonly alertRules?: readonly NewAlertRule[];
}

export const DEFAULT_CONFIG: CollectorConfig = {
  dataDir: './data',
  store: '',
  collectorId: 0,
  redis: '',
  bind: '',
  webPort: 8080,
  syslogPort: 514,
  syslogTcpPort: 514,
  sipPort: 5060,
  hepPort: 9060,
  ...DEFAULT_VERDICT_THRESHOLDS,
  retentionDays: 30,
  retentionMaxMb: 2048,
  callsRetentionDays: 90,
  dumpsRetentionDays: 365,
  bundlesRetentionHours: 24,
  onlineWindowS: 300,
  storeBatchSize: 5000,
  storeFlushIntervalMs: 200,
  // A storm's worth: the SQLite store writes about 100,000 lines/s on 2 cores while it defers search
  // indexing (50,000 held with it), so a 5-s burst at 150,000 lines/s leaves some 600,000 waiting,
  // in about 300 MB as columns.
  storeMaxQueuedLines: 1_000_000,
  storeMaxQueuedMb: 256,
  liveMaxQueuedPerClient: 2000,
  udpReceiveBufferBytes: 32 * 1024 * 1024,
  recordingPort: 50000,
  recordingCallTimeoutS: 30,
  recordingsMaxMb: 4096,
  dumpDropDir: '',
  dumpMaxUploadMb: 1024,
  importMaxUploadMb: 4096,
  dumpMaxUnpackedMb: 2048,
  dumpMaxArchiveEntries: 10_000,
  auth: 'on',
  tlsCert: '',
  tlsKey: '',
  syslogTlsPort: 0,
  allowSyslog: '',
  allowRecordings: '',
  allowSip: '',
  sites: '',
  sourceRateLimit: 0,
  sourceRateBurst: 0,
  smtpUrl: '',
  alertFrom: 'ipp-collector@localhost',
  publicUrl: '',
  alertIntervalS: 15,
  alertMaxAttempts: 8,
};

type Key = keyof CollectorConfig;

/** How each setting is named outside the code: flag, environment variable, config-file key. */
export const CONFIG_NAMES: ReadonlyArray<{ key: Key; flag: string; env: string; help: string }> = [
  { key: 'dataDir', flag: '--data-dir <dir>', env: 'IPP_DATA_DIR', help: 'where the database and uploads live' },
  { key: 'store', flag: '--store <url>', env: 'IPP_STORE', help: 'clickhouse://user:pass@host:8123/db: store everything in ClickHouse, shared by several collectors (default: SQLite in the data directory)' },
  { key: 'collectorId', flag: '--collector-id <n>', env: 'IPP_COLLECTOR_ID', help: 'this collector\'s number (0-15) among those sharing one --store; each needs its own' },
  { key: 'redis', flag: '--redis <url>', env: 'IPP_REDIS', help: 'redis://host:6379: live tail and call updates reach browsers on every collector of a --store fleet' },
  { key: 'bind', flag: '--bind <address>', env: 'IPP_BIND', help: 'address to listen on (default: all IPv4 and IPv6 addresses)' },
  { key: 'webPort', flag: '--web-port <port>', env: 'IPP_WEB_PORT', help: 'HTTP port for the dashboard and API (0 disables)' },
  { key: 'syslogPort', flag: '--syslog-port <port>', env: 'IPP_SYSLOG_PORT', help: 'UDP syslog port (0 disables)' },
  { key: 'syslogTcpPort', flag: '--syslog-tcp-port <port>', env: 'IPP_SYSLOG_TCP_PORT', help: 'TCP syslog port, RFC 6587 framing (0 disables)' },
  { key: 'hepPort', flag: '--hep-port <port>', env: 'IPP_HEP_PORT', help: 'HEP v2/v3 port (UDP and TCP) for Homer capture agents: heplify, captagent, Kamailio, FreeSWITCH, Asterisk, OpenSIPS (0 disables)' },
  { key: 'sipPort', flag: '--sip-port <port>', env: 'IPP_SIP_PORT', help: 'SIP port (UDP and TCP) for voice-quality reports: PUBLISH vq-rtcpxr, SERVICE QoE (0 disables)' },
  { key: 'poorLossPct', flag: '--poor-loss-pct <pct>', env: 'IPP_POOR_LOSS_PCT', help: 'verdict: a stream is poor above this packet loss' },
  { key: 'poorRttMs', flag: '--poor-rtt-ms <ms>', env: 'IPP_POOR_RTT_MS', help: 'verdict: poor above this round trip' },
  { key: 'poorJitterMs', flag: '--poor-jitter-ms <ms>', env: 'IPP_POOR_JITTER_MS', help: 'verdict: poor above this jitter' },
  { key: 'poorMos', flag: '--poor-mos <mos>', env: 'IPP_POOR_MOS', help: 'verdict: poor below this MOS (RFC 6035/XR/recordings)' },
  { key: 'poorDegradationMos', flag: '--poor-degradation <mos>', env: 'IPP_POOR_DEGRADATION', help: 'verdict: QoE stream poor above this network MOS degradation' },
  { key: 'poorConcealedRatio', flag: '--poor-concealed <ratio>', env: 'IPP_POOR_CONCEALED', help: 'verdict: QoE stream poor above this concealed-samples ratio (0-1)' },
  { key: 'fairLossPct', flag: '--fair-loss-pct <pct>', env: 'IPP_FAIR_LOSS_PCT', help: 'verdict: fair (not good) above this packet loss' },
  { key: 'fairRttMs', flag: '--fair-rtt-ms <ms>', env: 'IPP_FAIR_RTT_MS', help: 'verdict: fair above this round trip' },
  { key: 'fairJitterMs', flag: '--fair-jitter-ms <ms>', env: 'IPP_FAIR_JITTER_MS', help: 'verdict: fair above this jitter' },
  { key: 'fairMos', flag: '--fair-mos <mos>', env: 'IPP_FAIR_MOS', help: 'verdict: fair below this MOS' },
  { key: 'retentionDays', flag: '--retention-days <days>', env: 'IPP_RETENTION_DAYS', help: 'delete log lines older than this' },
  { key: 'retentionMaxMb', flag: '--retention-max-mb <mb>', env: 'IPP_RETENTION_MAX_MB', help: 'trim the oldest lines to keep the database under this size' },
  { key: 'callsRetentionDays', flag: '--calls-retention-days <days>', env: 'IPP_CALLS_RETENTION_DAYS', help: 'delete calls (streams, samples) that ended longer ago than this; active calls stay' },
  { key: 'dumpsRetentionDays', flag: '--dumps-retention-days <days>', env: 'IPP_DUMPS_RETENTION_DAYS', help: 'delete crash uploads, their crashes and files older than this (files still referenced stay)' },
  { key: 'bundlesRetentionHours', flag: '--bundles-retention-hours <hours>', env: 'IPP_BUNDLES_RETENTION_HOURS', help: 'delete finished bundles older than this' },
  { key: 'onlineWindowS', flag: '--online-window <seconds>', env: 'IPP_ONLINE_WINDOW_S', help: 'a device heard from within this window is online' },
  { key: 'storeBatchSize', flag: '--store-batch <lines>', env: 'IPP_STORE_BATCH', help: 'lines written per transaction' },
  { key: 'storeFlushIntervalMs', flag: '--store-flush-ms <ms>', env: 'IPP_STORE_FLUSH_MS', help: 'longest a line waits before it is written' },
  { key: 'storeMaxQueuedLines', flag: '--store-max-queued <lines>', env: 'IPP_STORE_MAX_QUEUED', help: 'lines waiting for the store beyond which new ones are dropped and counted' },
  { key: 'storeMaxQueuedMb', flag: '--store-max-queued-mb <mb>', env: 'IPP_STORE_MAX_QUEUED_MB', help: 'the same bound in MiB of the waiting lines\' raw bytes (long lines reach it first)' },
  { key: 'liveMaxQueuedPerClient', flag: '--live-max-queued <lines>', env: 'IPP_LIVE_MAX_QUEUED', help: 'live lines queued per browser before it misses lines' },
  { key: 'udpReceiveBufferBytes', flag: '--udp-rcvbuf <bytes>', env: 'IPP_UDP_RCVBUF', help: 'UDP socket receive buffer to ask the OS for' },
  { key: 'recordingPort', flag: '--recording-port <port>', env: 'IPP_RECORDING_PORT', help: 'UDP port for debug recordings (ACDR) from the phones (0 disables)' },
  { key: 'recordingCallTimeoutS', flag: '--recording-call-timeout <seconds>', env: 'IPP_RECORDING_CALL_TIMEOUT_S', help: 'a recorded call ends after this long without a datagram (or 2 s after an RTCP BYE)' },
  { key: 'recordingsMaxMb', flag: '--recordings-max-mb <mb>', env: 'IPP_RECORDINGS_MAX_MB', help: 'trim the oldest recorded calls to keep their stored datagrams under this size' },
  { key: 'dumpDropDir', flag: '--dump-drop-dir <dir>', env: 'IPP_DUMP_DROP_DIR', help: 'folder watched for crash dumps copied in (processed/ and failed/ inside it; empty = off)' },
  { key: 'dumpMaxUploadMb', flag: '--dump-max-upload-mb <mb>', env: 'IPP_DUMP_MAX_UPLOAD_MB', help: 'largest crash dump upload accepted' },
  { key: 'importMaxUploadMb', flag: '--import-max-upload-mb <mb>', env: 'IPP_IMPORT_MAX_UPLOAD_MB', help: 'largest capture upload accepted (Imports)' },
  { key: 'dumpMaxUnpackedMb', flag: '--dump-max-unpacked-mb <mb>', env: 'IPP_DUMP_MAX_UNPACKED_MB', help: 'most one crash upload may unpack to (decompression-bomb guard)' },
  { key: 'dumpMaxArchiveEntries', flag: '--dump-max-entries <n>', env: 'IPP_DUMP_MAX_ENTRIES', help: 'most archive entries one crash upload may hold' },
  { key: 'auth', flag: '--auth <on|off>', env: 'IPP_AUTH', help: 'require a login or API token (off = --no-auth: anyone who reaches the port is admin; lab use only)' },
  { key: 'tlsCert', flag: '--tls-cert <file>', env: 'IPP_TLS_CERT', help: 'PEM certificate: serve the dashboard over HTTPS (with --tls-key) and allow syslog over TLS' },
  { key: 'tlsKey', flag: '--tls-key <file>', env: 'IPP_TLS_KEY', help: 'PEM private key for --tls-cert' },
  { key: 'syslogTlsPort', flag: '--syslog-tls-port <port>', env: 'IPP_SYSLOG_TLS_PORT', help: 'syslog over TLS port, RFC 5425 (0 disables; 6514 is the standard one)' },
  { key: 'allowSyslog', flag: '--allow-syslog <cidrs>', env: 'IPP_ALLOW_SYSLOG', help: 'networks syslog is accepted from, e.g. 10.1.0.0/16,2001:db8::/32 (empty: any)' },
  { key: 'allowRecordings', flag: '--allow-recordings <cidrs>', env: 'IPP_ALLOW_RECORDINGS', help: 'networks debug recordings are accepted from (empty: any)' },
  { key: 'allowSip', flag: '--allow-sip <cidrs>', env: 'IPP_ALLOW_SIP', help: 'networks SIP quality reports are accepted from (empty: any)' },
  { key: 'sites', flag: '--sites <table>', env: 'IPP_SITES', help: 'sites by subnet for metrics and the fleet view: Berlin=10.1.0.0/16,10.2.0.0/16;Paris=10.3.0.0/16' },
  { key: 'sourceRateLimit', flag: '--source-rate-limit <per-second>', env: 'IPP_SOURCE_RATE_LIMIT', help: 'datagrams/frames per second one sender may send to one listener (0: unlimited)' },
  { key: 'sourceRateBurst', flag: '--source-rate-burst <count>', env: 'IPP_SOURCE_RATE_BURST', help: 'burst one sender may send at once (0: one second at the rate limit)' },
  { key: 'smtpUrl', flag: '--smtp-url <url>', env: 'IPP_SMTP_URL', help: 'alert e-mail through this SMTP server: smtp://[user:pass@]host:port or smtps://… (empty: no e-mail)' },
  { key: 'alertFrom', flag: '--alert-from <address>', env: 'IPP_ALERT_FROM', help: 'From address of alert e-mail' },
  { key: 'publicUrl', flag: '--public-url <url>', env: 'IPP_PUBLIC_URL', help: 'the dashboard as people reach it (https://collector.example.com/), for links in alerts (default: the address it listens on)' },
  { key: 'alertIntervalS', flag: '--alert-interval <seconds>', env: 'IPP_ALERT_INTERVAL_S', help: 'how often alert rules are evaluated (0: only on POST /api/alerts/evaluate)' },
  { key: 'alertMaxAttempts', flag: '--alert-max-attempts <n>', env: 'IPP_ALERT_MAX_ATTEMPTS', help: 'attempts per alert delivery (back-off 1 s, 2 s, 4 s … up to 5 min) before it is marked failed' },
];

export class ConfigError extends Error {}

/** Merges the layers; every value is checked here so the rest of the code can trust it. */
export function resolveConfig(flags: Partial<Record<Key, string | number>>, env: NodeJS.ProcessEnv, configFile?: string): CollectorConfig {
  const file = configFile ?? env.IPP_CONFIG;
  const fromFile: Record<string, unknown> = file ? readConfigFile(file) : {};
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const { key, env: envName } of CONFIG_NAMES) {
    const value = flags[key] ?? env[envName] ?? fromFile[key];
    if (value !== undefined) merged[key] = value;
  }
  for (const unknownKey of Object.keys(fromFile)) {
    if (!(unknownKey in DEFAULT_CONFIG) && unknownKey !== 'alerts') throw new ConfigError(`config file ${file}: unknown setting "${unknownKey}"`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG) as Key[]) {
    const def = DEFAULT_CONFIG[key];
    const raw = merged[key];
    if (typeof def === 'number') {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n) || n < 0 || (key.endsWith('Port') && (!Number.isInteger(n) || n > 65535))) {
        throw new ConfigError(`${key}: "${String(raw)}" is not a valid ${key.endsWith('Port') ? 'port (0-65535)' : 'non-negative number'}`);
      }
      out[key] = n;
    } else {
      out[key] = String(raw);
    }
  }
  out.dataDir = path.resolve(String(out.dataDir));
  // `--no-auth` reaches here as false.
  const auth = ({ on: 'on', true: 'on', off: 'off', false: 'off' } as Record<string, string>)[String(out.auth)];
  if (!auth) throw new ConfigError(`auth: "${String(out.auth)}" is not on or off`);
  out.auth = auth;
  try {
    parseSites(String(out.sites));
  } catch (err) {
    throw new ConfigError(`sites: ${(err as Error).message}`);
  }
  if (out.store) {
    try {
      checkStoreUrl(String(out.store));
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  if (!Number.isInteger(out.collectorId) || (out.collectorId as number) >= MAX_SLOTS) throw new ConfigError(`collectorId: "${String(out.collectorId)}" is not a whole number 0-${MAX_SLOTS - 1}`);
  if (out.redis && !/^rediss?:\/\//.test(String(out.redis))) throw new ConfigError(`--redis: "${String(out.redis)}" is not a redis:// or rediss:// URL`);
  if (out.redis && !out.store) throw new ConfigError('--redis joins collectors that share a --store; give --store clickhouse://… too');
  if (Boolean(out.tlsCert) !== Boolean(out.tlsKey)) throw new ConfigError('give --tls-cert and --tls-key together');
  if (out.syslogTlsPort !== 0 && !out.tlsCert) throw new ConfigError('--syslog-tls-port needs --tls-cert and --tls-key');
  for (const key of ['allowSyslog', 'allowRecordings', 'allowSip'] as const) {
    try {
      parseAllowList(String(out[key]));
    } catch (err) {
      throw new ConfigError(`${key}: ${(err as Error).message}`);
    }
  }
  checkAlertSettings(out);
  out.alertRules = alertRulesOf(fromFile.alerts, String(file));
  return out as unknown as CollectorConfig;
}

function checkAlertSettings(out: Record<string, unknown>): void {
  if (out.smtpUrl && !/^smtps?:\/\/[^/]+/.test(String(out.smtpUrl))) throw new ConfigError(`--smtp-url: "${String(out.smtpUrl)}" is not an smtp:// or smtps:// URL`);
  if (out.publicUrl && !/^https?:\/\/[^/]+/.test(String(out.publicUrl))) throw new ConfigError(`--public-url: "${String(out.publicUrl)}" is not an http:// or https:// URL`);
  if (!Number.isInteger(out.alertMaxAttempts) || (out.alertMaxAttempts as number) < 1) throw new ConfigError(`alertMaxAttempts: "${String(out.alertMaxAttempts)}" is not a whole number of at least 1`);
}

/** The config file's `"alerts": {"rules": [...]}`, each rule checked as the API checks one. */
function alertRulesOf(section: unknown, file: string): NewAlertRule[] {
  if (section === undefined) return [];
  const rules = typeof section === 'object' && section !== null ? (section as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(rules) || Object.keys(section as object).some((k) => k !== 'rules')) throw new ConfigError(`config file ${file}: give alerts as {"rules": [...]}`);
  const names = new Set<string>();
  return rules.map((r, i) => {
    let rule: NewAlertRule;
    try {
      rule = checkRule(r, 'config', null);
    } catch (err) {
      throw new ConfigError(`config file ${file}: alerts.rules[${i}]: ${(err as Error).message}`);
    }
    if (names.has(rule.name)) throw new ConfigError(`config file ${file}: alerts.rules[${i}]: a second rule named "${rule.name}" (names tell config rules apart)`);
    names.add(rule.name);
    return rule;
  });
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}
