/**
 * Wires the collector in one place: sources → pipeline → store and live hub → HTTP API.
 * Stopping runs the other way: stop receiving, write everything parsed, then close.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express, Router } from 'express';
import type { CollectorConfig } from './config.js';
import { Counters } from './counters.js';
import { createHttpApp } from './api/http-app.js';
import { AuthService, type AuthMode } from './auth/service.js';
import { callsRouter } from './api/calls-routes.js';
import { qualityRouter } from './api/quality-routes.js';
import { settingsRouter } from './api/settings-routes.js';
import { LiveCalls } from './calls/live-calls.js';
import { healthSnapshot, type ApiDeps } from './api/routes.js';
import { ProcessVitalsMonitor } from './process-vitals.js';
import { recordingsRouter } from './api/recordings-routes.js';
import { FleetMetrics } from './metrics/prometheus.js';
import { SiteTable } from './fleet/site-table.js';
import { CallCorrelator } from './calls/correlator.js';
import { LiveHub } from './live/hub.js';
import { PACKAGE_VERSION } from './package-root.js';
import { ClockSkewEstimator } from './calls/clock-skew.js';
import { DeviceRegistry } from './pipeline/device-registry.js';
import { startQualityReports } from './pipeline/quality/start-reports.js';
import { SyslogIngest } from './pipeline/syslog-ingest.js';
import { RecordingIngest, RECORDINGS_SOURCE } from './pipeline/recordings/recording-ingest.js';
import { disabledListener, explainBindError, type Listener, type ListenerStatus } from './sources/listener.js';
import { startTcpSyslogListener } from './sources/tcp-syslog-listener.js';
import { startKernelDropSampler } from './sources/kernel-drops.js';
import { startThreadedUdpListener } from './sources/threaded-udp-listener.js';
import { parseAllowList } from './sources/allow-list.js';
import { SourceGuards } from './sources/source-guard.js';
import { BatchWriter } from './store/batch-writer.js';
import { crashesRouter } from './api/crashes-routes.js';
import { importsRouter } from './api/imports-routes.js';
import { markCollectorRunning } from './import/data-dir-lock.js';
import { bundlesRouter } from './api/bundles-routes.js';
import { alertsRouter } from './api/alerts-routes.js';
import { createAlerts } from './alerts/start-alerts.js';
import { BundleJobs } from './bundles/jobs.js';
import { CrashService } from './crashes/service.js';
import { DEFAULT_UNWRAP_LIMITS } from './crashes/unwrap.js';
import { startDumpDropFolder } from './sources/dump-drop-folder.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/types.js';

const HEALTH_PUSH_INTERVAL_MS = 2000;
const RETENTION_INTERVAL_MS = 60_000;
/**
 * Lines are trimmed more often than the rest: a minute of a busy site's lines is a large bite to
 * delete at once (the soak's store worker fell minutes behind when it first reached the budget).
 */
const LOGS_TRIM_INTERVAL_MS = 10_000;
/** Between two slices of a long trim: the store's writes get this long to themselves. */
const RETENTION_SLICE_GAP_MS = 100;
/** How often the kernel's per-socket drop counts are read into the counters. */
const KERNEL_DROPS_INTERVAL_MS = 1000;
const MAX_TCP_SYSLOG_CONNECTIONS = 1000;
/** How often a collector on a shared store reads the fleet's devices (every collector's counts). */
const FLEET_DEVICES_REFRESH_MS = 5000;
/** Recording datagrams per store write: large, so 100,000/s is a few writes a second. */
const RECORDING_BATCH_DATAGRAMS = 20_000;
/** Recording datagrams waiting for the store beyond this are not stored (counted as dropped). */
const RECORDING_MAX_QUEUED_BYTES = 256 * 1024 * 1024;

export interface RunningCollector {
  readonly config: CollectorConfig;
  readonly listeners: readonly ListenerStatus[];
  /** The dashboard's address, or null when the web port is disabled or failed. */
  readonly webUrl: string | null;
  readonly store: Store;
  readonly counters: Counters;
  /** The express app behind the web port (null when it is off), so tests can walk its routes. */
  readonly httpApp: Express | null;
  /** Stops receiving, writes every parsed line, closes the store. */
  stop(): Promise<void>;
}

/**
 * `decorateStore` wraps the opened store (the fault tests put a stalling store in front of the
 * real one this way); by default the store is used as opened.
 */
export async function startCollector(config: CollectorConfig, now: () => number = Date.now,
  decorateStore: (store: Store) => Store = (s) => s): Promise<RunningCollector> {
  const startedAt = now();
  const store = decorateStore(await openStore({ dataDir: config.dataDir, store: config.store, collectorId: config.collectorId, now }));
  // Tells `ipp-collector import` this store is in use (its log ids are handed out from memory).
  const clearPidMark = markCollectorRunning(config.dataDir);
  const [ids, knownDevices] = await Promise.all([store.rowIds(), store.loadDevices()]);
  const counters = new Counters();
  const tlsFiles = config.tlsCert ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : null;
  const auth = await AuthService.start({
    mode: config.auth as AuthMode, store, now, adminPassword: process.env.IPP_ADMIN_PASSWORD,
    announce: (text) => process.stderr.write(text), secureCookies: tlsFiles !== null,
  });
  const guards = new SourceGuards(config, counters, now, parseAllowList);
  const devices = new DeviceRegistry(knownDevices, ids.newDeviceId);
  // On a shared store the other collectors' devices show here too, as of the last refresh.
  const refreshFleet = () => store.fleetDevices().then((r) => devices.adoptFleet(r), () => undefined);
  const fleetDevices = store.shared ? setInterval(refreshFleet, FLEET_DEVICES_REFRESH_MS) : null;
  if (store.shared) await refreshFleet();
  const writer = new BatchWriter(store, devices, counters, {
    batchSize: config.storeBatchSize,
    flushIntervalMs: config.storeFlushIntervalMs,
    maxQueued: config.storeMaxQueuedLines,
    maxQueuedBytes: config.storeMaxQueuedMb * 1024 * 1024,
  });
  writer.lastStoredId = ids.log.last;

  let live: LiveHub | null = null;
  let ingest: SyslogIngest | null = null;
  const listeners: Listener[] = [];
  const vitals = new ProcessVitalsMonitor();
  // The admin page's sites table, when one was saved, else --sites.
  const sites = new SiteTable(config.sites);
  await sites.load(store.auth, (text) => process.stderr.write(text));
  const metrics = new FleetMetrics({ counters, writer, live: () => live, devices, sites });
  let webUrl: string | null = null;
  const alerts = createAlerts({
    config, store, devices, sites: () => sites, counters, writer, now, registry: metrics.registry,
    listeners: () => listeners.map((l) => l.status),
    publicUrl: () => config.publicUrl || webUrl || 'http://localhost/',
    broadcast: (event, data) => live?.broadcast(event, data),
  });
  const deps: ApiDeps = {
    metrics,
    version: PACKAGE_VERSION,
    startedAt,
    onlineWindowMs: config.onlineWindowS * 1000,
    store,
    writer,
    devices,
    counters,
    listeners: () => listeners.map((l) => l.status),
    live: () => live,
    now,
    extraHealth: () => ({
      process: vitals.read(),
      auth: { mode: auth.mode, failedLogins: auth.throttle.failures, throttledLogins: auth.throttle.refused, auditLost: auth.auditLost },
      guards: guards.health(),
      alerts: alerts.health(),
      fleet: store.shared ? {
        collectorId: config.collectorId,
        redis: live?.fleetRelay ? { error: live.fleetRelay.error, sent: live.fleetRelay.sent, received: live.fleetRelay.received } : null,
      } : null,
    }),
  };

  // Each area (recordings, calls, crashes, …) adds its API router here.
  const areaRouters: Router[] = [];
  // Calls from every quality source meet in one correlator.
  const correlator = new CallCorrelator(store, config, now);
  const clocks = new ClockSkewEstimator();
  correlator.listen(metrics);
  areaRouters.push(callsRouter({ correlator, devices, thresholds: config, sites: () => sites }));
  areaRouters.push(qualityRouter({ calls: store.calls, crashes: store.crashes, devices, sites: () => sites, now }));
  areaRouters.push(settingsRouter({ auth, sites, now }));
  let recordings: RecordingIngest | null = null;
  areaRouters.push(recordingsRouter({ store, ingest: () => recordings, recordingPort: config.recordingPort, collectorAddr: config.bind }));
  const crashes = new CrashService({
    dataDir: config.dataDir, store, devices, counters, now,
    limits: { ...DEFAULT_UNWRAP_LIMITS, maxTotalBytes: config.dumpMaxUnpackedMb * 1024 * 1024, maxEntries: config.dumpMaxArchiveEntries },
    onUpdate: (update) => live?.broadcast('crashes:update', update),
  });
  areaRouters.push(crashesRouter({ crashes, devices, maxUploadBytes: config.dumpMaxUploadMb * 1024 * 1024 }));
  // Imported captures go through the same pipeline objects as live traffic (the syslog ingest exists before any import runs).
  areaRouters.push(importsRouter({
    services: () => ({ store, ids, devices, writer, correlator, now, get syslog() { return ingest!; } }),
    dataDir: config.dataDir, maxUploadBytes: config.importMaxUploadMb * 1024 * 1024, inactivityMs: config.recordingCallTimeoutS * 1000,
    ports: { syslog: config.syslogPort || 514, recording: config.recordingPort || 50000, sip: config.sipPort || 5060 },
    broadcast: (event, data) => live?.broadcast(event, data),
  }));
  const bundles = new BundleJobs({
    dataDir: config.dataDir, now,
    sources: { store, devices, dumpPath: (sha) => crashes.filePath(sha), recordingPort: config.recordingPort, collectorAddr: config.bind, thresholds: config, version: PACKAGE_VERSION },
    onUpdate: (status) => live?.broadcast('bundles:update', status),
  });
  areaRouters.push(bundlesRouter({ jobs: bundles }));
  areaRouters.push(alertsRouter({ store: store.alerts, engine: alerts, auth, now }));
  const site = createWeb(config, deps, areaRouters, auth, tlsFiles);
  if (site) {
    live = new LiveHub(site.server, config.liveMaxQueuedPerClient, () => ids.log.last, (headers, token) => auth.authenticate(headers, token));
    live.startHealth(() => healthSnapshot(deps), HEALTH_PUSH_INTERVAL_MS);
    if (config.redis) await live.joinFleet(config.redis);
  }
  const liveCalls = live ? new LiveCalls(live) : null;
  if (liveCalls) correlator.listen(liveCalls);

  const syslog = new SyslogIngest({ devices, writer, live, counters, logIds: ids.log, now, clocks });
  ingest = syslog;
  listeners.push(
    config.syslogPort === 0
      ? disabledListener('syslog-udp', 'udp')
      : await startThreadedUdpListener({
        name: 'syslog-udp', bind: config.bind, port: config.syslogPort, flag: '--syslog-port',
        receiveBufferBytes: config.udpReceiveBufferBytes, guard: guards.for('syslog-udp'),
        onDatagram: (data, from) => syslog.handle('syslog-udp', data, from),
        onDropped: (n) => counters.handoffDropped('syslog-udp', n),
      }),
    config.syslogTcpPort === 0
      ? disabledListener('syslog-tcp', 'tcp')
      : await startTcpSyslogListener({
        name: 'syslog-tcp', bind: config.bind, port: config.syslogTcpPort, flag: '--syslog-tcp-port',
        maxConnections: MAX_TCP_SYSLOG_CONNECTIONS, guard: guards.for('syslog-tcp'),
        onFrame: (frame, from) => syslog.handle('syslog-tcp', frame, from),
        onFramingError: (reason, from, head) => {
          const c = counters.source('syslog-tcp');
          c.received++;
          counters.malformed('syslog-tcp', from, reason, head, now());
        },
      }),
    config.syslogTlsPort === 0 || !tlsFiles
      ? disabledListener('syslog-tls', 'tcp')
      : await startTcpSyslogListener({
        name: 'syslog-tls', bind: config.bind, port: config.syslogTlsPort, flag: '--syslog-tls-port',
        maxConnections: MAX_TCP_SYSLOG_CONNECTIONS, guard: guards.for('syslog-tls'), tls: tlsFiles,
        onFrame: (frame, from) => syslog.handle('syslog-tls', frame, from),
        onFramingError: (reason, from, head) => {
          counters.source('syslog-tls').received++;
          counters.malformed('syslog-tls', from, reason, head, now());
        },
      }),
  );

  const dropFolder = config.dumpDropDir
    ? await startDumpDropFolder({ dir: config.dumpDropDir, crashes, maxBytes: config.dumpMaxUploadMb * 1024 * 1024, onError: (m) => { writer.lastError = m; } })
    : null;

  if (config.recordingPort !== 0) {
    recordings = new RecordingIngest({
      store, ids, counters, live, correlator, inactivityMs: config.recordingCallTimeoutS * 1000,
      batchDatagrams: RECORDING_BATCH_DATAGRAMS, flushIntervalMs: config.storeFlushIntervalMs, maxQueuedBytes: RECORDING_MAX_QUEUED_BYTES,
      deviceId: (address) => devices.get(address)?.id ?? null, now, clocks,
    });
  }
  const recordingIngest = recordings;
  listeners.push(recordingIngest === null
    ? disabledListener(RECORDINGS_SOURCE, 'udp')
    : await startThreadedUdpListener({
      name: RECORDINGS_SOURCE, bind: config.bind, port: config.recordingPort, flag: '--recording-port',
      receiveBufferBytes: config.udpReceiveBufferBytes, guard: guards.for(RECORDINGS_SOURCE),
      onDatagram: (data, from, fromPort) => recordingIngest.handle(data, from, fromPort),
      onDropped: (n) => counters.handoffDropped(RECORDINGS_SOURCE, n),
    }));

  listeners.push(...await startQualityReports({
    config, correlator, devices, writer, counters, now, clocks, guardFor: (name) => guards.for(name),
    // A HEP agent's log line (type 100) is syslog from the address the agent names.
    onHepLog: (bytes, address) => syslog.handle('syslog-udp', bytes, address),
  }));

  // A store far over its budget is trimmed slice by slice, its writes going between the slices.
  let trimming = false;
  const trimLogs = (): void => {
    if (trimming) return;
    trimming = true;
    store.enforceRetention({ maxAgeMs: config.retentionDays * 86_400_000, maxSizeBytes: config.retentionMaxMb * 1024 * 1024 }, now())
      .then((r) => { trimming = false; if (r.more) setTimeout(trimLogs, RETENTION_SLICE_GAP_MS).unref(); })
      .catch((err: Error) => { trimming = false; writer.lastError = `retention: ${err.message}`; });
  };
  const logsTrim = setInterval(trimLogs, LOGS_TRIM_INTERVAL_MS);
  logsTrim.unref();
  const retention = setInterval(() => {
    store.recordings.enforceRetention(config.retentionDays * 86_400_000, config.recordingsMaxMb * 1024 * 1024, now())
      .catch((err: Error) => { if (recordings) recordings.lastError = `retention: ${err.message}`; });
    // Each kind ages out on its own clock; a failure is reported like the logs' own and retried next round.
    const failed = (err: Error) => { writer.lastError = `retention: ${err.message}`; };
    store.calls.enforceRetention(config.callsRetentionDays * 86_400_000, now()).catch(failed);
    store.imports.enforceRetention(config.retentionDays * 86_400_000, now()).catch(failed);
    crashes.enforceRetention(config.dumpsRetentionDays * 86_400_000).catch(failed);
    // Alert history points at calls, so it ages with them.
    store.alerts.enforceRetention(config.callsRetentionDays * 86_400_000, now()).catch(failed);
    bundles.enforceRetention(config.bundlesRetentionHours * 3_600_000).catch(failed);
  }, RETENTION_INTERVAL_MS);
  retention.unref();
  // The dashboard answers last: once it does, every listener is bound (receiver threads take a moment).
  const web = await listenWeb(config, site, tlsFiles !== null);
  webUrl = web.url;
  await alerts.start();
  listeners.push(web.listener);
  const stopKernelDrops = startKernelDropSampler(() => listeners.map((l) => l.status), counters, KERNEL_DROPS_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  return {
    config,
    listeners: listeners.map((l) => l.status),
    webUrl: web.url,
    store,
    counters,
    httpApp: site?.app ?? null,
    stop: () => {
      stopping ??= (async () => {
        clearInterval(retention);
        clearInterval(logsTrim);
        alerts.stop();
        if (fleetDevices) clearInterval(fleetDevices);
        stopKernelDrops();
        vitals.stop();
        await dropFolder?.close();
        await Promise.all(listeners.filter((l) => l.status.name !== 'web').map((l) => l.close()));
        await writer.close();
        liveCalls?.close();
        await recordings?.close();
        await live?.close();
        await web.listener.close();
        await store.close();
        clearPidMark();
      })();
      return stopping;
    },
  };
}

function createWeb(config: CollectorConfig, deps: ApiDeps, areaRouters: readonly Router[], auth: AuthService,
  tlsFiles: { cert: Buffer; key: Buffer } | null): { server: http.Server; app: Express } | null {
  if (config.webPort === 0) return null;
  const app = createHttpApp(deps, areaRouters, auth);
  return { app, server: tlsFiles ? https.createServer(tlsFiles, app) : http.createServer(app) };
}

function listenWeb(config: CollectorConfig, site: { server: http.Server } | null, tls: boolean): Promise<{ listener: Listener; url: string | null }> {
  if (!site) return Promise.resolve({ listener: disabledListener('web', 'tcp'), url: null });
  const { server } = site;
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const error = explainBindError(err, 'tcp', config.webPort, '--web-port');
      resolve({ listener: { status: { name: 'web', transport: 'tcp', address: config.bind, port: config.webPort, state: 'failed', error }, close: async () => undefined }, url: null });
    });
    server.listen({ port: config.webPort, ...(config.bind ? { host: config.bind } : {}) }, () => {
      const a = server.address() as AddressInfo;
      const host = config.bind && config.bind !== '::' && config.bind !== '0.0.0.0' ? config.bind : 'localhost';
      const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${a.port}/`;
      resolve({
        url,
        listener: {
          status: { name: 'web', transport: 'tcp', address: a.address, port: a.port, state: 'listening' },
          close: () => new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
        },
      });
    });
  });
}
