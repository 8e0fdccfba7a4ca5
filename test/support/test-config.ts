/**
 * The collector config in-process tests start from: login off, a fresh data directory, loopback,
 * quick store flushes, and every listener off unless the test gives it a port.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CONFIG, type CollectorConfig } from '../../server/config.js';

export function testConfig(overrides: Partial<CollectorConfig> & Pick<CollectorConfig, 'webPort'>): CollectorConfig {
  return {
    ...DEFAULT_CONFIG,
    auth: 'off',
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'ipp-test-')),
    bind: '127.0.0.1',
    syslogPort: 0,
    syslogTcpPort: 0,
    recordingPort: 0,
    sipPort: 0,
    hepPort: 0,
    storeFlushIntervalMs: 20,
    ...overrides,
  };
}
