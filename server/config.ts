/**
 * One config object, parsed once at start and passed down. Precedence, highest first:
 * command-line flags, environment variables (IPP_*), the JSON config file, built-in defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface CollectorConfig {
  readonly dataDir: string;
  readonly bind: string;
  readonly webPort: number;
  readonly syslogPort: number;
  readonly syslogTcpPort: number;
  /** Lines kept at most this many days. */
  readonly retentionDays: number;
  /** The database is trimmed, oldest lines first, to stay under this size. */
  readonly retentionMaxMb: number;
  /** A device counts as online when heard from within this many seconds. */
  readonly onlineWindowS: number;
  /** Lines held for the store before they are written in one transaction. */
  readonly storeBatchSize: number;
  readonly storeFlushIntervalMs: number;
  /** Lines waiting for the store beyond which new lines are dropped (and counted). */
  readonly storeMaxQueuedLines: number;
  /** Live lines queued for one slow browser before that browser misses lines. */
  readonly liveMaxQueuedPerClient: number;
  /** Kernel receive buffer asked for on each UDP socket (bytes); the OS may cap it. */
  readonly udpReceiveBufferBytes: number;
}

export const DEFAULT_CONFIG: CollectorConfig = {
  dataDir: './data',
  bind: '',
  webPort: 8080,
  syslogPort: 514,
  syslogTcpPort: 514,
  retentionDays: 30,
  retentionMaxMb: 2048,
  onlineWindowS: 300,
  storeBatchSize: 5000,
  storeFlushIntervalMs: 200,
  storeMaxQueuedLines: 500_000,
  liveMaxQueuedPerClient: 2000,
  udpReceiveBufferBytes: 32 * 1024 * 1024,
};

type Key = keyof CollectorConfig;

/** How each setting is named outside the code: flag, environment variable, config-file key. */
export const CONFIG_NAMES: ReadonlyArray<{ key: Key; flag: string; env: string; help: string }> = [
  { key: 'dataDir', flag: '--data-dir <dir>', env: 'IPP_DATA_DIR', help: 'where the database and uploads live' },
  { key: 'bind', flag: '--bind <address>', env: 'IPP_BIND', help: 'address to listen on (default: all IPv4 and IPv6 addresses)' },
  { key: 'webPort', flag: '--web-port <port>', env: 'IPP_WEB_PORT', help: 'HTTP port for the dashboard and API (0 disables)' },
  { key: 'syslogPort', flag: '--syslog-port <port>', env: 'IPP_SYSLOG_PORT', help: 'UDP syslog port (0 disables)' },
  { key: 'syslogTcpPort', flag: '--syslog-tcp-port <port>', env: 'IPP_SYSLOG_TCP_PORT', help: 'TCP syslog port, RFC 6587 framing (0 disables)' },
  { key: 'retentionDays', flag: '--retention-days <days>', env: 'IPP_RETENTION_DAYS', help: 'delete log lines older than this' },
  { key: 'retentionMaxMb', flag: '--retention-max-mb <mb>', env: 'IPP_RETENTION_MAX_MB', help: 'trim the oldest lines to keep the database under this size' },
  { key: 'onlineWindowS', flag: '--online-window <seconds>', env: 'IPP_ONLINE_WINDOW_S', help: 'a device heard from within this window is online' },
  { key: 'storeBatchSize', flag: '--store-batch <lines>', env: 'IPP_STORE_BATCH', help: 'lines written per transaction' },
  { key: 'storeFlushIntervalMs', flag: '--store-flush-ms <ms>', env: 'IPP_STORE_FLUSH_MS', help: 'longest a line waits before it is written' },
  { key: 'storeMaxQueuedLines', flag: '--store-max-queued <lines>', env: 'IPP_STORE_MAX_QUEUED', help: 'lines waiting for the store beyond which new ones are dropped and counted' },
  { key: 'liveMaxQueuedPerClient', flag: '--live-max-queued <lines>', env: 'IPP_LIVE_MAX_QUEUED', help: 'live lines queued per browser before it misses lines' },
  { key: 'udpReceiveBufferBytes', flag: '--udp-rcvbuf <bytes>', env: 'IPP_UDP_RCVBUF', help: 'UDP socket receive buffer to ask the OS for' },
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
    if (!(unknownKey in DEFAULT_CONFIG)) throw new ConfigError(`config file ${file}: unknown setting "${unknownKey}"`);
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
  return out as unknown as CollectorConfig;
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
