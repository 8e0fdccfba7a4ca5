import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../server/config.js';

function configFile(content: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ipp-cfg-')), 'c.json');
  writeFileSync(file, content);
  return file;
}

describe('configuration', () => {
  it('takes flags over environment over file over defaults', () => {
    const file = configFile(JSON.stringify({ webPort: 9001, syslogPort: 9002, syslogTcpPort: 9003 }));
    const c = resolveConfig({ webPort: '9100' }, { IPP_WEB_PORT: '9200', IPP_SYSLOG_PORT: '9201' }, file);
    expect(c.webPort).toBe(9100);
    expect(c.syslogPort).toBe(9201);
    expect(c.syslogTcpPort).toBe(9003);
    expect(c.retentionDays).toBe(DEFAULT_CONFIG.retentionDays);
  });

  it('finds the config file through IPP_CONFIG', () => {
    const file = configFile('{"retentionDays": 7}');
    expect(resolveConfig({}, { IPP_CONFIG: file }).retentionDays).toBe(7);
  });

  it('makes the data directory absolute', () => {
    expect(path.isAbsolute(resolveConfig({}, {}).dataDir)).toBe(true);
  });

  it('says which setting is wrong', () => {
    expect(() => resolveConfig({ syslogPort: '65536' }, {})).toThrow(/syslogPort: "65536" is not a valid port/);
    expect(() => resolveConfig({}, { IPP_RETENTION_DAYS: 'soon' })).toThrow(ConfigError);
    expect(() => resolveConfig({}, {}, configFile('{"webport": 1}'))).toThrow(/unknown setting "webport"/);
    expect(() => resolveConfig({}, {}, configFile('not json'))).toThrow(/not valid JSON/);
    expect(() => resolveConfig({}, {}, '/nonexistent/ipp.json')).toThrow(/cannot read config file/);
  });
});
