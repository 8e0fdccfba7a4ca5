/**
 * Whether the fleet servers (ClickHouse, Redis) can run here. Where they are missing the tests
 * that need them are skipped and say so loudly; CI sets IPP_REQUIRE_FLEET_SERVERS=1, and there a
 * missing server fails the run instead.
 */
import { existsSync } from 'node:fs';
import { clickHouseBinary } from '../../bench/clickhouse-server.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

function available(what: string, present: boolean): boolean {
  if (present) return true;
  if (process.env.IPP_REQUIRE_FLEET_SERVERS === '1') throw new Error(`${what} is required here (IPP_REQUIRE_FLEET_SERVERS=1) but not installed`);
  process.stderr.write(`\n*** ${what} is not installed: its half of these tests is SKIPPED (apt-get install ${what}) ***\n\n`);
  return false;
}

export const hasClickHouse = (): boolean => available('clickhouse-server', clickHouseBinary() !== null);
export const hasRedis = (): boolean => available('redis-server', existsSync(REDIS_SERVER));
