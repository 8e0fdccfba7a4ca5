// Starts a real ClickHouse server (Debian's clickhouse-server) on free loopback ports with a
// throwaway data directory, for the store contract suite, the fleet test and the store benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './free-ports.js';

const SERVER_BINARIES = ['/usr/bin/clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse'];
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface RunningClickHouse {
  /** `clickhouse://default@127.0.0.1:<port>/<database>`, what `serve --store` takes. */
  readonly url: string;
  readonly httpPort: number;
  readonly dataDir: string;
  /** SIGSTOP / SIGCONT: a server that stops answering without closing its connections (fault tests). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** The server binary, or null where ClickHouse is not installed (the caller says so loudly). */
export function clickHouseBinary(): string | null {
  return SERVER_BINARIES.find((p) => existsSync(p)) ?? null;
}

function config(dir: string, http: number, tcp: number, interserver: number): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog><console>0</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <interserver_http_port>${interserver}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
}

const users = (password: string) => `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password>${password.replace(/[<>&]/g, '')}</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

async function pingable(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface ClickHouseOptions {
  readonly database?: string;
  /** A port chosen beforehand (a collector already waiting for the server there). */
  readonly httpPort?: number;
  /** The `default` user's password (none by default). */
  readonly password?: string;
}

export async function startClickHouse(o: ClickHouseOptions = {}): Promise<RunningClickHouse> {
  const database = o.database ?? 'ipp';
  const binary = clickHouseBinary();
  if (!binary) throw new Error('clickhouse-server is not installed (apt-get install clickhouse-server)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipp-ch-'));
  for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(path.join(dir, sub));
  const { tcp: [freeHttp, tcp, interserver] } = await freePorts(3, 0);
  const http = o.httpPort ?? freeHttp;
  writeFileSync(path.join(dir, 'config.xml'), config(dir, http!, tcp!, interserver!));
  writeFileSync(path.join(dir, 'users.xml'), users(o.password ?? ''));
  const args = binary.endsWith('/clickhouse') ? ['server', `--config-file=${dir}/config.xml`] : [`--config-file=${dir}/config.xml`];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8192); });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await pingable(http!))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`clickhouse-server did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `clickhouse://default${o.password ? `:${encodeURIComponent(o.password)}` : ''}@127.0.0.1:${http}/${database}`,
    httpPort: http!,
    dataDir: dir,
    freeze: () => { child.kill('SIGSTOP'); },
    thaw: () => { child.kill('SIGCONT'); },
    async stop() {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
