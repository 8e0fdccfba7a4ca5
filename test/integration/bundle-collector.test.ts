/**
 * Ticket bundles end to end: a collector fed by the simulator with a poor call (a loss burst, in
 * the recording, the PUBLISH report and the syslog), a bundle asked for over HTTP, and every file
 * in it checked: manifest hashes and sizes, captures in tshark, WAV headers, the samples CSV
 * against the API, report.html in headless Chromium with the network cut off; then a redacted
 * bundle searched byte by byte for every original address, number, URI and user.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { startCollector, type RunningCollector } from '../../server/collector.js';
import { testConfig } from '../support/test-config.js';
import type { EventLog } from '../../server/simulator/event-log.js';
import { simulateLive } from '../../server/simulator/run.js';
import { ARTIFACTS_DIR, launchBrowser } from '../support/browser.js';
import { freePorts } from '../../bench/free-ports.js';
import { waitFor } from '../support/senders.js';
import { requireTshark, runTshark } from '../support/tshark.js';

const haveTshark = requireTshark();
const SPEED = 5;
const SIP_DOMAIN = 'pbx.example.com';

interface Manifest {
  collector: { version: string };
  query: { scope: unknown; options: { redact: boolean } };
  timeRange: { from: string; to: string };
  files: Array<{ path: string; bytes: number; sha256: string; kind: string }>;
  dropped: Array<{ what: string; reason: string }>;
  redaction: { replaced: Record<string, number>; addressesInCaptures: Record<string, string> } | null;
}
interface RecordedStream { ssrc: number; packets: number; lost: number; direction: string }
interface Status { id: string; state: string; progress: number; bytes: number | null; dropped: unknown[]; error: string | null; fileName: string }

let collector: RunningCollector;
let base: string;
let log: EventLog;
let work: string;
let recordingPort: number;
let poorCallId: number;
let recordedId: number;

async function api<T>(p: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + p, init);
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function makeBundle(body: unknown): Promise<{ status: Status; file: string; res: Response }> {
  const { id } = await api<{ id: string }>('/api/bundles', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const status = await waitFor(() => api<Status>(`/api/bundles/${id}`), (s) => s.state === 'done' || s.state === 'failed', 60_000);
  expect(status.error).toBeNull();
  const res = await fetch(`${base}/api/bundles/${id}/file`);
  expect(res.status).toBe(200);
  const file = path.join(work, status.fileName);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return { status, file, res };
}

async function readZip(file: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

/** Entries of a tar (ustar, as tar-stream writes it): 512-byte headers, data padded to 512. */
function readTar(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let o = 0; o + 512 <= tar.length;) {
    const name = tar.subarray(o, o + 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') break;
    const prefix = tar.subarray(o + 345, o + 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(o + 124, o + 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    out.set(prefix ? `${prefix}/${name}` : name, tar.subarray(o + 512, o + 512 + size));
    o += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  const p = await freePorts(2, 2);
  recordingPort = p.udp[1]!;
  work = mkdtempSync(path.join(os.tmpdir(), 'ipp-bundle-'));
  const config = testConfig({ dataDir: path.join(work, 'data'), webPort: p.tcp[0]!, syslogPort: p.udp[0]!, recordingPort, sipPort: p.tcp[1]!, recordingCallTimeoutS: 2 });
  collector = await startCollector(config);
  base = `http://127.0.0.1:${config.webPort}`;
  // One phone, the mixed scenario: its first call is the sure poor one (a loss burst 5 s in).
  const result = await simulateLive({
    target: '127.0.0.1', phones: 1, callsPerHour: 600, durationMs: 40_000, seed: 7, scenario: 'mixed',
    startMs: Date.now(), ports: { syslog: config.syslogPort, recording: config.recordingPort, sip: config.sipPort },
  }, { speed: SPEED });
  log = result.log;
  expect(log.calls.length).toBeGreaterThan(0);
  const burst = log.impairments.find((i) => i.call === 0 && i.kind === 'loss-burst')!;
  expect(burst).toBeDefined();
  const recorded = await waitFor(() => api<{ calls: Array<{ id: number; sessionId: string; active: boolean }> }>('/api/recordings/calls'),
    (r) => r.calls.some((c) => c.sessionId === burst.recordingSession && !c.active), 15_000);
  recordedId = recorded.calls.find((c) => c.sessionId === burst.recordingSession)!.id;
  const calls = await waitFor(() => api<{ calls: Array<{ id: number; sipCallId: string | null; verdict: string; sources: string[] }> }>('/api/calls'),
    (r) => r.calls.some((c) => c.sipCallId === burst.sipCallId && c.verdict === 'poor' && c.sources.includes('computed-rtp') && c.sources.some((s) => s.startsWith('vq-') || s === 'ms-qoe')), 15_000);
  poorCallId = calls.calls.find((c) => c.sipCallId === burst.sipCallId)!.id;
}, 90_000);

afterAll(async () => {
  await collector?.stop();
});

describe('a bundle for a poor call', () => {
  let files: Map<string, Buffer>;
  let manifest: Manifest;
  let res: Response;

  beforeAll(async () => {
    const made = await makeBundle({ scope: { callId: poorCallId }, options: { format: 'zip' } });
    res = made.res;
    files = await readZip(made.file);
    manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
  }, 90_000);

  it('is served as a zip attachment named after the call', () => {
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="?ipp-bundle-call-${poorCallId}-\\d{8}T\\d{6}Z\\.zip"?$`));
  });

  it('lists every other file in the manifest with its exact size and SHA-256, plus version, range and query', () => {
    const listed = new Map(manifest.files.map((f) => [f.path, f]));
    expect([...files.keys()].filter((n) => n !== 'manifest.json').sort()).toEqual([...listed.keys()].sort());
    for (const [name, data] of files) {
      if (name === 'manifest.json') continue;
      expect(listed.get(name)!.bytes, name).toBe(data.length);
      expect(listed.get(name)!.sha256, name).toBe(sha256(data));
    }
    expect(manifest.collector.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.query.scope).toEqual({ callId: poorCallId });
    expect(Date.parse(manifest.timeRange.to)).toBeGreaterThan(Date.parse(manifest.timeRange.from));
    for (const name of ['report.html', 'logs.txt', 'logs.jsonl', 'devices.json', `calls/call-${poorCallId}/samples.csv`, `calls/call-${poorCallId}/samples.json`,
      `recordings/recording-${recordedId}/original.pcap`, `recordings/recording-${recordedId}/plain.pcap`, `recordings/recording-${recordedId}/mixed.wav`]) {
      expect(files.has(name), name).toBe(true);
    }
  });

  it('has logs in received order with receive times, raw and parsed, the loss burst warning among them', () => {
    const lines = files.get('logs.txt')!.toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('\t'));
    const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
    expect(times.every((t, i) => Number.isFinite(t) && (i === 0 || t >= times[i - 1]!))).toBe(true);
    const parsed = files.get('logs.jsonl')!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number; message: string; module: string });
    expect(parsed.length).toBe(lines.length);
    expect(parsed.every((p, i) => i === 0 || p.id > parsed[i - 1]!.id)).toBe(true);
    expect(parsed.some((p) => p.module === 'dsp' && p.message.includes('packet loss concealment active'))).toBe(true);
  });

  it('has the samples CSV exactly as /api/calls/:id/samples.csv gives it, and the JSON with the same rows', async () => {
    const csv = await (await fetch(`${base}/api/calls/${poorCallId}/samples.csv`)).text();
    expect(files.get(`calls/call-${poorCallId}/samples.csv`)!.toString('utf8')).toBe(csv);
    const json = JSON.parse(files.get(`calls/call-${poorCallId}/samples.json`)!.toString('utf8')) as unknown[];
    expect(json.length).toBe(csv.trim().split('\r\n').length - 1);
    const { series } = await api<{ series: Array<{ source: string; metric: string; direction: string | null; points: unknown[] }> }>(`/api/calls/${poorCallId}/timeline`);
    const loss = series.find((s) => s.source === 'computed-rtp' && s.metric === 'lossPct' && s.direction === 'rx')!;
    const rows = csv.trim().split('\r\n').slice(1).filter((r) => r.split(',')[4] === 'computed-rtp' && r.split(',')[3] === 'rx');
    expect(rows.length).toBe(loss.points.length);
  });

  it('has WAV files with RIFF/WAVE headers at 8000 Hz, 16 bit', () => {
    const wavs = [...files.keys()].filter((n) => n.endsWith('.wav'));
    expect(wavs.length).toBeGreaterThanOrEqual(2);
    for (const n of wavs) {
      const w = files.get(n)!;
      expect(w.subarray(0, 4).toString('latin1'), n).toBe('RIFF');
      expect(w.subarray(8, 12).toString('latin1'), n).toBe('WAVE');
      expect(w.readUInt32LE(24), n).toBe(8000);
      expect(w.readUInt16LE(34), n).toBe(16);
      expect(w.length, n).toBeGreaterThan(8000 * 2);
    }
  });

  describe.skipIf(!haveTshark)('captures in tshark', () => {
    const ROW = /^\s*[\d.]+\s+[\d.]+\s+\S+\s+\d+\s+\S+\s+\d+\s+0x([0-9A-Fa-f]+)\s+.+?\s+(\d+)\s+(-?\d+)\s+\(/;
    const streams = (file: string, args: string[]) => runTshark(file, [...args, '-q', '-z', 'rtp,streams']).split('\n').flatMap((l) => {
      const m = ROW.exec(l);
      return m ? [{ ssrc: parseInt(m[1]!, 16), packets: Number(m[2]), lost: Number(m[3]) }] : [];
    }).sort((a, b) => a.ssrc - b.ssrc);

    it('opens both captures with the stream stats the API reports (original with Decode As ACDR)', async () => {
      const rec = await api<{ streams: RecordedStream[] }>(`/api/recordings/calls/${recordedId}`);
      const expected = rec.streams.map((s) => ({ ssrc: s.ssrc, packets: s.packets, lost: s.lost })).sort((a, b) => a.ssrc - b.ssrc);
      expect(expected.some((s) => s.lost > 0)).toBe(true);
      for (const form of ['original', 'plain'] as const) {
        const file = path.join(work, `${form}.pcap`);
        writeFileSync(file, files.get(`recordings/recording-${recordedId}/${form}.pcap`)!);
        expect(streams(file, form === 'original' ? ['-d', `udp.port==${recordingPort},acdr`] : []), form).toEqual(expected);
      }
    });
  });

  it('opens report.html offline in Chromium with the charts and the log lines around the burst', async () => {
    const file = path.join(work, 'report.html');
    writeFileSync(file, files.get('report.html')!);
    const b = await launchBrowser({ width: 1200, height: 1600 });
    const requests: string[] = [];
    try {
      await b.context.route('**/*', (route) => {
        const url = route.request().url();
        if (url === `file://${file}`) return route.continue();
        requests.push(url);
        return route.abort();
      });
      await b.page.goto(`file://${file}`);
      const charts = await b.page.locator(`#call-${poorCallId} svg.chart`).count();
      expect(charts).toBe(3);
      expect(await b.page.locator(`#call-${poorCallId} svg.chart path.series`).count()).toBeGreaterThan(2);
      const logs = await b.page.locator(`#call-${poorCallId} pre.log`).allInnerTexts();
      expect(logs.join('\n')).toContain('packet loss concealment active');
      expect(await b.page.locator('#summary .verdict').innerText()).toBe('poor');
      await b.page.screenshot({ path: path.join(ARTIFACTS_DIR, 'bundle-report.png'), fullPage: true });
      expect(requests).toEqual([]);
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
    }
  }, 60_000);
});

describe('a bundle as tar.gz', () => {
  it('holds the same files, served as application/gzip', async () => {
    const made = await makeBundle({ scope: { callId: poorCallId }, options: { format: 'tar.gz', includeAudio: false } });
    expect(made.res.headers.get('content-type')).toBe('application/gzip');
    const entries = readTar(gunzipSync(await import('node:fs').then((fs) => fs.readFileSync(made.file))));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Manifest;
    for (const f of manifest.files) expect(sha256(entries.get(f.path)!), f.path).toBe(f.sha256);
    expect([...entries.keys()].some((n) => n.endsWith('.wav'))).toBe(false);
    expect(manifest.dropped.map((d) => d.what)).toContain('audio (WAV)');
  }, 60_000);
});

describe('a size-limited bundle', () => {
  it('drops audio first, then original captures, and says so in the manifest and the report', async () => {
    const full = await makeBundle({ scope: { callId: poorCallId }, options: {} });
    const limit = full.status.bytes! - 1024;
    const made = await makeBundle({ scope: { callId: poorCallId }, options: { maxBytes: limit } });
    const files = await readZip(made.file);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
    expect([...files.keys()].some((n) => n.endsWith('.wav'))).toBe(false);
    expect(manifest.dropped[0]!.what).toBe('audio (WAV)');
    expect(manifest.dropped[0]!.reason).toMatch(/size limit/);
    expect(files.get('report.html')!.toString('utf8')).toContain('Left out of this bundle');
    expect(made.status.bytes).toBeLessThanOrEqual(limit);
    const tiny = await makeBundle({ scope: { callId: poorCallId }, options: { maxBytes: 64 * 1024 } });
    const tinyManifest = JSON.parse((await readZip(tiny.file)).get('manifest.json')!.toString('utf8')) as Manifest;
    expect(tinyManifest.dropped.map((d) => d.what)).toEqual(['audio (WAV)', 'recordings as received (original ACDR pcap)', 'recordings as plain RTP pcap']);
    expect(tiny.status.bytes).toBeLessThanOrEqual(64 * 1024);
  }, 60_000);
});

describe('a redacted bundle of the device over the whole run', () => {
  let files: Map<string, Buffer>;
  let manifest: Manifest;

  beforeAll(async () => {
    const phone = log.phones[0]!;
    const made = await makeBundle({ scope: { device: phone.addr, from: Date.parse(log.start) - 60_000, to: Date.now() + 60_000 }, options: { redact: true } });
    expect(made.status.fileName).not.toContain(phone.addr);
    files = await readZip(made.file);
    manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
  }, 90_000);

  it('keeps no original address, number, URI or user in any byte of any file, as text or as a 4-byte address', async () => {
    const phone = log.phones[0]!;
    // The parties as the unredacted API shows them: <sip:2001@pbx.example.com> and the numbers in them.
    const { calls } = await api<{ calls: Array<{ localId: string | null; remoteId: string | null }> }>(`/api/calls?device=${phone.addr}&limit=500`);
    const parties = calls.flatMap((c) => [c.localId, c.remoteId]).filter((x): x is string => x !== null);
    const uris = [...new Set(parties.flatMap((p) => [...p.matchAll(/sips?:[^>;\s]+/g)].map((m) => m[0])))];
    const numbers = [...new Set([String(2001 + phone.index), ...uris.map((u) => /^sips?:(\+?\d+)@/.exec(u)?.[1]).filter((n): n is string => n !== undefined)])];
    expect(uris.length).toBeGreaterThan(1);
    expect(numbers.length).toBeGreaterThan(1);
    const addresses = [...new Set([phone.addr, ...log.calls.map((c) => c.remoteAddr)])];
    const texts = [...uris, ...addresses, `${numbers[0]}@${SIP_DOMAIN}`];
    const logsTxt = files.get('logs.txt')!.toString('utf8');
    expect(manifest.redaction).not.toBeNull();
    for (const [name, data] of files) {
      const latin = data.toString('latin1');
      for (const t of texts) expect(latin.includes(t), `${t} in ${name}`).toBe(false);
      for (const n of numbers) expect(new RegExp(`(?<!\\d)${n}(?!\\d)`).test(latin), `${n} in ${name}`).toBe(false);
      for (const a of addresses) {
        const bytes = Buffer.from(a.split('.').map(Number));
        expect(data.includes(bytes), `${a} as 4 bytes in ${name}`).toBe(false);
      }
    }
    expect(logsTxt).toMatch(/<ip-\d+>/);
    expect(logsTxt).toMatch(/<uri-\d+>/);
  });

  it('gives one value one token in every file', async () => {
    const devices = JSON.parse(files.get('devices.json')!.toString('utf8')) as Array<{ address: string }>;
    const token = devices[0]!.address;
    expect(token).toMatch(/^<ip-\d+>$/);
    const lines = files.get('logs.txt')!.toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('\t'));
    expect(lines.every((l) => l.split(' ')[1] === token)).toBe(true);
    const callFiles = [...files.keys()].filter((n) => /^calls\/call-\d+\/call\.json$/.test(n));
    expect(callFiles.length).toBeGreaterThan(0);
    for (const n of callFiles) {
      const call = JSON.parse(files.get(n)!.toString('utf8')) as { device: { address: string } | null; streams: Array<{ localAddr: string | null }> };
      expect(call.device?.address).toBe(token);
      for (const s of call.streams) if (s.localAddr) expect(s.localAddr).toBe(token);
    }
    // In captures the token has a stand-in address; the plain pcap uses it.
    const standIn = manifest.redaction!.addressesInCaptures[token]!;
    expect(standIn).toMatch(/^240\./);
    const plain = [...files.entries()].find(([n]) => n.endsWith('plain.pcap'))![1];
    expect(plain.includes(Buffer.from(standIn.split('.').map(Number)))).toBe(true);
  });

  it('leaves out original captures and audio, and says why', () => {
    expect([...files.keys()].some((n) => n.endsWith('original.pcap') || n.endsWith('.wav') || n.endsWith('.orig'))).toBe(false);
    const reasons = manifest.dropped.map((d) => `${d.what}: ${d.reason}`).join('\n');
    expect(reasons).toMatch(/original ACDR pcap\): redacted bundle/);
    expect(reasons).toMatch(/audio \(WAV\): redacted bundle/);
  });

  it.skipIf(!haveTshark)('keeps the redacted plain capture readable by tshark, with the same streams', async () => {
    const [name, plain] = [...files.entries()].find(([n]) => n.endsWith('plain.pcap'))!;
    const file = path.join(work, 'redacted-plain.pcap');
    writeFileSync(file, plain);
    const id = Number(/recording-(\d+)/.exec(name)![1]);
    const rec = await api<{ streams: RecordedStream[] }>(`/api/recordings/calls/${id}`);
    const out = runTshark(file, ['-q', '-z', 'rtp,streams']);
    for (const s of rec.streams) expect(out.toLowerCase()).toContain(`0x${s.ssrc.toString(16).padStart(8, '0')}`);
  });
});

describe('ipp-collector bundle', () => {
  it('writes the same bundle from the data folder while the collector runs, and refuses an unknown call in one line', async () => {
    const bin = fileURLToPath(new URL('../../bin/ipp-collector.js', import.meta.url));
    expect(existsSync(fileURLToPath(new URL('../../dist/server/commands/bundle.js', import.meta.url))), 'run `npm run build` first (npm test does)').toBe(true);
    const out = path.join(work, 'cli.zip');
    const ok = spawnSync(process.execPath, [bin, 'bundle', '--call', String(poorCallId), '--no-audio', '-o', out, '--data-dir', collector.config.dataDir, '--recording-port', String(recordingPort)], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`${out}: `);
    const files = await readZip(out);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
    expect(manifest.query.scope).toEqual({ callId: poorCallId });
    expect(files.has(`recordings/recording-${recordedId}/original.pcap`)).toBe(true);
    expect([...files.keys()].some((n) => n.endsWith('.wav'))).toBe(false);
    const bad = spawnSync(process.execPath, [bin, 'bundle', '--call', '999999', '-o', out, '--data-dir', collector.config.dataDir], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('ipp-collector: no call 999999\n');
  }, 90_000);
});
