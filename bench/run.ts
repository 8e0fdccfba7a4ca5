/**
 * `npm run bench`: runs every benchmark case and writes one JSON report plus a human summary.
 * `npm run bench -- --smoke` runs each case for about a second (CI keeps the suite from rotting);
 * `--case NAME` (or just `NAME`) runs one case; the soak runs only when named:
 * `npm run bench -- soak --minutes 60` (default a few minutes, see bench/soak-case.ts).
 * Exits 1 when a case reports failures (the soak's loss or unbounded memory).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../server/package-root.js';
import type { BenchOptions, CaseResult } from './harness.js';
import { apiCase } from './api-case.js';
import { crashesCase } from './crashes-case.js';
import { importCase } from './import-case.js';
import { qualityCase } from './quality-case.js';
import { recordingsCase } from './recordings-case.js';
import { reportsCase } from './reports-case.js';
import { soakCase } from './soak-case.js';
import { storeCase } from './store-case.js';
import { syslogCase } from './syslog-case.js';

const CASES: Record<string, (o: BenchOptions) => Promise<CaseResult>> = {
  syslog: syslogCase,
  recordings: recordingsCase,
  reports: reportsCase,
  crashes: crashesCase,
  import: importCase,
  api: apiCase,
  store: storeCase,
  quality: qualityCase,
  soak: soakCase,
};
/** Cases too long for the plain full run: only with `--case NAME` (the smoke run does a short version). */
const ON_DEMAND = new Set(['soak']);

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--minutes');
const minutes = args.includes('--minutes') ? Number(args[args.indexOf('--minutes') + 1]) : undefined;
if (minutes !== undefined && !(minutes > 0)) {
  process.stderr.write('--minutes: give a positive number of minutes\n');
  process.exit(2);
}
if (only && !CASES[only]) {
  process.stderr.write(`unknown case ${only}; cases: ${Object.keys(CASES).join(', ')}\n`);
  process.exit(2);
}

const results: CaseResult[] = [];
for (const [name, run] of Object.entries(CASES)) {
  if (only && name !== only) continue;
  if (!only && !smoke && ON_DEMAND.has(name)) continue;
  process.stderr.write(`bench: ${name}${smoke ? ' (smoke)' : ''}…\n`);
  results.push(await run({ smoke, ...(minutes !== undefined ? { minutes } : {}) }));
}

const report = {
  collector: PACKAGE_VERSION,
  at: new Date().toISOString(),
  smoke,
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
  cases: results,
};
const outDir = path.join(PACKAGE_ROOT, 'test', 'artifacts');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `bench-${smoke ? 'smoke' : 'full'}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
process.stderr.write(`\nSummary (${report.machine.cpus} cores, ${report.machine.cpuModel}, Node ${process.version}):\n`);
for (const c of results) {
  const headline = Object.entries(c.result).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`  ${c.name}: ${headline}; peak RSS ${c.peakRssMb ?? '?'} MB${c.ratio != null ? `; ${c.ratio}× the reference` : ''}\n`);
}
process.stderr.write(`report written to ${path.relative(process.cwd(), file)}\n`);
const failed = results.filter((c) => Array.isArray(c.result['failures']) && c.result['failures'].length > 0);
for (const c of failed) process.stderr.write(`FAILED ${c.name}: ${(c.result['failures'] as string[]).join('; ')}\n`);
if (failed.length > 0) process.exitCode = 1;
