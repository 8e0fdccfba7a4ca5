// The Imports page: drop captures (pcap, pcapng) or pick them, watch each import's progress live
// (`imports:update`), and see what each brought with links to its calls, devices and logs.
import { acceptFiles, clear, el } from './dom.js';
import { deleteImport, fetchImports, isImportDeleted, isImportInfo, uploadCaptures, type ImportInfo } from './imports-api.js';
import type { LiveConnection } from './live.js';
import { routeHash } from './router.js';

/** Call links shown per import before "and N more". */
const MAX_CALL_LINKS = 20;

export class ImportsPage {
  readonly element: HTMLElement;
  private readonly status = el('p', { class: 'upload-status', role: 'status' });
  private readonly list = el('div', { class: 'imports', 'data-testid': 'imports' });
  private readonly rows = new Map<number, ImportInfo>();
  private readonly stopLive: () => void;

  constructor(live: LiveConnection) {
    this.element = el('div', { class: 'page imports-page' }, this.dropZone(), this.list);
    this.stopLive = live.on('imports:update', (u) => {
      if (isImportDeleted(u)) this.rows.delete(u.id);
      else if (isImportInfo(u)) this.rows.set(u.id, u);
      else return;
      this.render();
    });
  }

  update(): void {
    fetchImports().then((all) => {
      for (const row of all) this.rows.set(row.id, row);
      this.render();
    }, (err: Error) => this.say(err.message, true));
  }

  destroy(): void {
    this.stopLive();
  }

  private dropZone(): HTMLElement {
    const file = el('input', { type: 'file', multiple: true, accept: '.pcap,.pcapng,.cap', 'data-testid': 'capture-file' });
    const zone = el('section', { class: 'dropzone', 'data-testid': 'dropzone' },
      el('p', {}, el('b', {}, 'Drop captures here'), ' (pcap, nanosecond pcap, pcapng: tcpdump -w, Wireshark), or ', el('label', { class: 'pick' }, 'choose files', file), '.'),
      el('p', { class: 'muted' }, 'Syslog, debug recordings, SIP quality reports and RTP on the wire go through the same pipeline as live traffic.'),
      this.status);
    acceptFiles(zone, file, (files) => void this.upload(files));
    return zone;
  }

  private async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    this.say(`Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`, false);
    try {
      for (const row of await uploadCaptures(files)) this.rows.set(row.id, row);
      this.say('Uploaded; importing in the background.', false);
      this.render();
    } catch (err) {
      this.say((err as Error).message, true);
    }
  }

  private say(text: string, bad: boolean): void {
    this.status.className = `upload-status${bad ? ' bad' : ''}`;
    this.status.textContent = text;
  }

  private render(): void {
    clear(this.list);
    const rows = [...this.rows.values()].sort((a, b) => b.id - a.id);
    if (rows.length === 0) this.list.append(el('p', { class: 'empty' }, 'No imports yet.'));
    for (const row of rows) this.list.append(this.card(row));
  }

  private card(row: ImportInfo): HTMLElement {
    const remove = el('button', { type: 'button', disabled: row.status === 'queued' || row.status === 'reading' }, 'Delete');
    remove.addEventListener('click', () => {
      if (!confirm(`Delete import ${row.id} (${row.fileName}) with its logs, calls and recordings?`)) return;
      deleteImport(row.id).then(() => {
        this.rows.delete(row.id);
        this.render();
      }, (err: Error) => this.say(err.message, true));
    });
    const card = el('section', { class: `import ${row.status}`, 'data-testid': `import-${row.id}` },
      el('h3', {}, `#${row.id} `, row.fileName, ' ', el('span', { class: 'muted' }, `${(row.size / 1e6).toFixed(1)} MB · ${row.status}`), ' ', remove));
    if (row.status === 'queued' || row.status === 'reading') {
      card.append(el('progress', { max: Math.max(row.size, 1), value: row.progressBytes, 'aria-label': `import ${row.id} progress` }));
    }
    const s = row.summary;
    if (s) {
      const range = s.firstMs === null || s.lastMs === null ? 'no packets' : `${new Date(s.firstMs).toISOString()} … ${new Date(s.lastMs).toISOString()}`;
      card.append(el('p', { class: 'summary', 'data-testid': 'import-summary' },
        `${s.frames} packets (${Object.entries(s.protocols).map(([k, v]) => `${k} ${v}`).join(', ') || 'no packets'}), ${range}. `,
        `${s.calls} calls, ${s.devices.length} devices, ${s.logs} log lines, ${s.malformed} malformed.`));
      const undecoded = Object.entries(s.undecoded ?? {});
      if (undecoded.length > 0) {
        card.append(el('p', { class: 'undecoded', 'data-testid': 'import-undecoded' },
          `Not decoded: ${undecoded.map(([kind, n]) => `${kind} ${n}`).join(', ')}.`));
      }
      card.append(this.links(row));
    }
    if (row.errors.length > 0) {
      const problems = el('ul', { class: 'problems' });
      for (const e of row.errors) problems.append(el('li', { class: 'bad' }, e.offset === null ? e.message : `offset ${e.offset}: ${e.message}`));
      card.append(problems);
    }
    return card;
  }

  private links(row: ImportInfo): HTMLElement {
    const s = row.summary!;
    const out = el('div', { class: 'links' });
    const calls = el('p', {}, 'Calls: ');
    for (const [i, id] of s.callIds.slice(0, MAX_CALL_LINKS).entries()) calls.append(i === 0 ? '' : ', ', el('a', { href: `#/calls/${id}` }, `#${id}`));
    if (s.callIds.length > MAX_CALL_LINKS) calls.append(` and ${s.callIds.length - MAX_CALL_LINKS} more`);
    if (s.callIds.length === 0) calls.append('none');
    const devices = el('p', {}, 'Devices: ');
    for (const [i, addr] of s.devices.entries()) {
      devices.append(i === 0 ? '' : ', ', el('a', { href: `#/devices/${encodeURIComponent(addr)}` }, addr),
        ' (', el('a', { href: routeHash('/logs', new URLSearchParams({ device: addr })) }, 'logs'), ')');
    }
    if (s.devices.length === 0) devices.append('none');
    out.append(calls, devices, el('p', {}, 'Log lines of this import: ', el('a', { href: `/api/logs?import=${row.id}&limit=1000`, target: '_blank' }, 'JSON')));
    return out;
  }
}
