// A call's quality over time: stacked charts (MOS/R, loss and discard, jitter and jitter buffer,
// round trip) on one shared time axis. Colour tells the source, dash the direction; good/fair/poor
// bands come from the verdict thresholds; log lines, the picked moment and hold periods are drawn
// on every chart. Drag across any chart to zoom all of them; click to pick a moment.
import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Plugin,
  type Scale,
} from 'chart.js';
import type { Band, Sample, Timeline, TimelineSeries } from './calls-api.js';
import { clear, el } from './dom.js';
import { directionDash, sourceLook, VERDICT_COLOURS } from './quality.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip);

/** A sample spanning more than this is drawn as a level line over its interval, not a point. */
const LONG_SAMPLE_MS = 10_000;
/** Left and right axis widths are fixed so the plot areas of all charts line up to the pixel. */
const Y_AXIS_WIDTH_PX = 52;
const Y2_AXIS_WIDTH_PX = 40;
/** A drag shorter than this is a click (pick a moment), not a zoom. */
const MIN_DRAG_PX = 6;
/** Above this many points a line is drawn without point dots. */
const DOTS_UP_TO_POINTS = 150;
const BAND_ALPHA = '1f';
const LOG_MARK_COLOUR = 'rgba(60, 72, 96, 0.45)';
const PICK_COLOUR = '#1f5fbf';
const HOLD_FILL = 'rgba(102, 112, 133, 0.12)';

type BandKey = keyof Timeline['bands'];

interface PanelDef {
  id: string;
  title: string;
  unit: string;
  metrics: readonly string[];
  band?: BandKey;
  /** Metrics drawn against the right-hand axis (R factor on the MOS chart). */
  right?: { metrics: readonly string[]; title: string; min: number; max?: number };
  min?: number;
  max?: number;
  suggestedMax?: number;
}

export const PANELS: readonly PanelDef[] = [
  { id: 'mos', title: 'MOS and R factor', unit: 'MOS', metrics: ['mosLq', 'mosCq'], band: 'mos', min: 1, max: 5, right: { metrics: ['rFactor'], title: 'R', min: 0, max: 100 } },
  { id: 'loss', title: 'Packet loss and jitter-buffer discard', unit: '%', metrics: ['lossPct', 'discardPct'], band: 'lossPct', min: 0, suggestedMax: 5 },
  // The jitter buffer has its own axis: its size is not judged by the jitter bands.
  { id: 'jitter', title: 'Jitter and jitter buffer', unit: 'ms', metrics: ['jitterMs'], band: 'jitterMs', min: 0, suggestedMax: 40, right: { metrics: ['jitterBufferNominalMs', 'jitterBufferMaxMs'], title: 'JB ms', min: 0 } },
  { id: 'rtt', title: 'Round trip', unit: 'ms', metrics: ['roundTripMs'], band: 'roundTripMs', min: 0, suggestedMax: 100 },
];

const METRIC_LABELS: Readonly<Record<string, string>> = {
  mosLq: 'MOS-LQ', mosCq: 'MOS-CQ', rFactor: 'R', lossPct: 'loss', discardPct: 'discard', jitterMs: 'jitter',
  jitterBufferNominalMs: 'JB nominal', jitterBufferMaxMs: 'JB max', roundTripMs: 'round trip',
};

type Point = { x: number; y: number | null };

interface SeriesKey { streamId: number | null; direction: string | null; source: string; metric: string }

export interface ChartDatasetInfo extends SeriesKey {
  label: string;
  /** [x, y] as drawn; y null marks a break. */
  points: Array<[number, number | null]>;
}

export interface TimeWindow { min: number; max: number }

export interface TimeMark { t: number; tone: 'log' | 'err' }

interface Panel {
  def: PanelDef;
  chart: Chart<'line', Point[]>;
  legend: HTMLElement;
  element: HTMLElement;
  keys: SeriesKey[];
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time, with seconds; milliseconds only when zoomed in far enough to matter. */
export function clockTime(ms: number, withMs = false): string {
  const d = new Date(ms);
  const base = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return withMs ? `${base}.${String(d.getMilliseconds()).padStart(3, '0')}` : base;
}

/** Where a sample goes on the time axis: a point mid-interval, or a level line for long intervals. */
function toPoints(start: number, end: number, value: number): Point[] {
  if (end - start > LONG_SAMPLE_MS) return [{ x: start, y: value }, { x: end, y: value }, { x: end, y: null }];
  return [{ x: (start + end) / 2, y: value }];
}

function keyOf(k: SeriesKey): string {
  return `${k.streamId ?? '-'}|${k.direction ?? '-'}|${k.source}|${k.metric}`;
}

function bandRanges(b: Band, yMin: number, yMax: number): Array<[number, number, string]> {
  if (b.lowerIsWorse) return [[yMin, b.poor, VERDICT_COLOURS.poor], [b.poor, b.fair, VERDICT_COLOURS.fair], [b.fair, yMax, VERDICT_COLOURS.good]];
  return [[yMin, b.fair, VERDICT_COLOURS.good], [b.fair, b.poor, VERDICT_COLOURS.fair], [b.poor, yMax, VERDICT_COLOURS.poor]];
}

export class TimelineCharts {
  readonly element: HTMLElement;
  private readonly stack: HTMLElement;
  private readonly selection: HTMLElement;
  private readonly panels: Panel[] = [];
  private bands: Timeline['bands'] | null = null;
  /** Full extent of the call's data (or the call's start/end when known). */
  private extent: TimeWindow = { min: 0, max: 1 };
  private zoom: TimeWindow | null = null;
  private marks: TimeMark[] = [];
  private picked: number | null = null;
  private holds: Array<[number, number]> = [];
  private readonly series = new Map<string, { key: SeriesKey; points: Point[] }>();
  private drag: { panel: Panel; x0: number; x1: number } | null = null;

  constructor(
    private readonly onPick: (t: number) => void,
    private readonly onZoom: (w: TimeWindow | null) => void,
  ) {
    this.selection = el('div', { class: 'zoom-selection', hidden: true });
    this.stack = el('div', { class: 'chart-stack' });
    this.element = el('div', { class: 'timeline' }, this.stack, this.selection);
    const overlay = this.overlayPlugin();
    for (const def of PANELS) {
      const canvas = el('canvas', { 'aria-label': `${def.title} over time`, role: 'img' });
      const legend = el('div', { class: 'chart-legend' });
      const element = el('section', { class: 'chart-panel', 'data-panel': def.id },
        el('header', {}, el('h3', {}, def.title, el('span', { class: 'unit' }, ` (${def.unit}${def.right ? `; right axis ${def.right.title}` : ''})`)), legend),
        el('div', { class: 'chart-box' }, canvas));
      this.stack.append(element);
      const chart = new Chart<'line', Point[]>(canvas, {
        type: 'line',
        data: { datasets: [] },
        plugins: [overlay],
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          normalized: true,
          spanGaps: false,
          events: ['mousemove', 'mouseout'],
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          layout: { padding: { right: def.right ? 0 : Y2_AXIS_WIDTH_PX, top: 4 } },
          scales: {
            x: {
              type: 'linear',
              // Milliseconds only on ticks that fall between whole seconds (zoomed far in).
              ticks: { maxRotation: 0, autoSkipPadding: 24, includeBounds: false, font: { size: 10 }, callback: (v) => clockTime(Number(v), Number(v) % 1000 !== 0) },
              grid: { color: '#eef0f4' },
            },
            y: {
              min: def.min, max: def.max, suggestedMax: def.suggestedMax,
              ticks: { font: { size: 10 }, maxTicksLimit: 5 },
              grid: { color: '#eef0f4' },
              afterFit: (s: Scale) => { s.width = Y_AXIS_WIDTH_PX; },
            },
            ...(def.right ? {
              y2: {
                position: 'right' as const, min: def.right.min, max: def.right.max,
                ticks: { font: { size: 10 }, maxTicksLimit: 5 }, grid: { display: false },
                afterFit: (s: Scale) => { s.width = Y2_AXIS_WIDTH_PX; },
              },
            } : {}),
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              animation: false,
              callbacks: {
                title: (items) => (items[0] ? clockTime(items[0].parsed.x ?? 0, true) : ''),
                label: (item) => `${item.dataset.label ?? ''}: ${Number(item.parsed.y).toFixed(2)}`,
              },
            },
          },
        },
      });
      const panel: Panel = { def, chart, legend, element, keys: [] };
      this.panels.push(panel);
      this.attachPointer(panel, canvas);
    }
  }

  /** Replaces every series with the timeline (the whole call, or the zoom window's detail). */
  setTimeline(t: Timeline, extent: TimeWindow): void {
    this.bands = t.bands;
    this.extent = extent;
    this.series.clear();
    for (const s of t.series) this.addSeriesPoints(s, s.points);
    this.rebuild();
  }

  /** Live samples of a call in progress: appended, the extent grows, one redraw. */
  appendSamples(samples: readonly Sample[], extentMax: number): void {
    for (const s of samples) {
      for (const [metric, value] of Object.entries(s.metrics)) {
        if (!PANELS.some((p) => p.metrics.includes(metric) || p.right?.metrics.includes(metric))) continue;
        this.addSeriesPoints({ streamId: s.streamId, direction: s.direction, source: s.source, metric }, [[s.startMs, s.endMs, value]]);
      }
    }
    this.extent = { min: this.extent.min, max: Math.max(this.extent.max, extentMax) };
    this.rebuild();
  }

  setMarks(marks: TimeMark[]): void {
    this.marks = marks;
    this.redraw();
  }

  setHolds(holds: Array<[number, number]>): void {
    this.holds = holds;
    this.redraw();
  }

  setPicked(t: number | null): void {
    this.picked = t;
    this.redraw();
  }

  setZoom(w: TimeWindow | null): void {
    this.zoom = w;
    this.applyWindow();
  }

  get window(): TimeWindow {
    return this.zoom ?? this.extent;
  }

  get isZoomed(): boolean {
    return this.zoom !== null;
  }

  /** What each chart draws, for tests and for the CSV-minded: labels and points per dataset. */
  describe(): Record<string, ChartDatasetInfo[]> {
    const out: Record<string, ChartDatasetInfo[]> = {};
    for (const p of this.panels) {
      out[p.def.id] = p.keys.map((k, i) => ({
        ...k,
        label: String(p.chart.data.datasets[i]?.label ?? ''),
        points: (p.chart.data.datasets[i]?.data ?? []).map((pt) => [pt.x, pt.y] as [number, number | null]),
      }));
    }
    return out;
  }

  get pickedTime(): number | null {
    return this.picked;
  }

  /** Where time `t` sits on a chart, in viewport pixels (mid-height of its plot area). */
  clientPoint(panelId: string, t: number): { x: number; y: number } | null {
    const p = this.panels.find((x) => x.def.id === panelId);
    const scale = p?.chart.scales.x;
    if (!p || !scale) return null;
    const r = p.chart.canvas.getBoundingClientRect();
    const area = p.chart.chartArea;
    return { x: r.left + scale.getPixelForValue(t), y: r.top + (area.top + area.bottom) / 2 };
  }

  destroy(): void {
    for (const p of this.panels) p.chart.destroy();
  }

  private addSeriesPoints(k: SeriesKey | TimelineSeries, pts: ReadonlyArray<readonly [number, number, number]>): void {
    const key: SeriesKey = { streamId: k.streamId, direction: k.direction, source: k.source, metric: k.metric };
    const id = keyOf(key);
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = { key, points: [] }));
    for (const [start, end, v] of pts) s.points.push(...toPoints(start, end, v));
  }

  private rebuild(): void {
    for (const p of this.panels) {
      const datasets: ChartDataset<'line', Point[]>[] = [];
      const keys: SeriesKey[] = [];
      const wanted = [...p.def.metrics, ...(p.def.right?.metrics ?? [])];
      const entries = [...this.series.values()].filter((s) => wanted.includes(s.key.metric));
      entries.sort((a, b) => wanted.indexOf(a.key.metric) - wanted.indexOf(b.key.metric) || a.key.source.localeCompare(b.key.source) || String(a.key.direction).localeCompare(String(b.key.direction)));
      for (const s of entries) {
        const look = sourceLook(s.key.source);
        const primary = s.key.metric === p.def.metrics[0];
        const onRight = p.def.right?.metrics.includes(s.key.metric) ?? false;
        const data = s.points.slice().sort((a, b) => a.x - b.x);
        const dots = data.length <= DOTS_UP_TO_POINTS;
        datasets.push({
          label: `${METRIC_LABELS[s.key.metric] ?? s.key.metric} · ${look.label}${s.key.direction ? ` · ${s.key.direction}` : ''}`,
          data,
          yAxisID: onRight ? 'y2' : 'y',
          borderColor: look.colour,
          backgroundColor: look.colour,
          borderWidth: primary ? 2 : 1.25,
          borderDash: onRight ? [2, 3] : directionDash(s.key.direction),
          pointRadius: dots ? (primary ? 2.5 : 2) : 0,
          pointStyle: primary ? 'circle' : onRight ? 'rect' : 'triangle',
          pointHoverRadius: 4,
          stepped: s.key.metric.startsWith('jitterBuffer') ? 'middle' : false,
          tension: 0,
        });
        keys.push(s.key);
      }
      p.chart.data.datasets = datasets;
      p.keys = keys;
      this.renderLegend(p);
      p.element.classList.toggle('no-data', datasets.length === 0);
    }
    this.applyWindow();
  }

  private renderLegend(p: Panel): void {
    clear(p.legend);
    if (p.keys.length === 0) {
      p.legend.append(el('span', { class: 'muted' }, 'no source reported this'));
      return;
    }
    p.chart.data.datasets.forEach((ds, i) => {
      const k = p.keys[i];
      if (!k) return;
      const look = sourceLook(k.source);
      const swatch = el('span', { class: `swatch${k.direction === 'tx' ? ' dashed' : ''}${k.metric === p.def.metrics[0] ? '' : ' thin'}` });
      swatch.style.borderColor = look.colour;
      const item = el('button', { type: 'button', class: 'legend-item', title: `${look.title}. Click to hide or show.`, 'aria-pressed': 'true' }, swatch, String(ds.label ?? ''));
      item.addEventListener('click', () => {
        const visible = p.chart.isDatasetVisible(i);
        p.chart.setDatasetVisibility(i, !visible);
        item.setAttribute('aria-pressed', String(!visible));
        item.classList.toggle('off', visible);
        p.chart.update('none');
      });
      p.legend.append(item);
    });
  }

  private applyWindow(): void {
    const w = this.window;
    for (const p of this.panels) {
      const x = p.chart.options.scales?.x;
      if (x) {
        x.min = w.min;
        x.max = w.max;
      }
      p.chart.update('none');
    }
  }

  private redraw(): void {
    for (const p of this.panels) p.chart.draw();
  }

  private attachPointer(panel: Panel, canvas: HTMLCanvasElement): void {
    canvas.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      canvas.setPointerCapture(ev.pointerId);
      this.drag = { panel, x0: ev.offsetX, x1: ev.offsetX };
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (!this.drag || this.drag.panel !== panel) return;
      this.drag.x1 = ev.offsetX;
      this.showSelection(panel, canvas);
    });
    const finish = (ev: PointerEvent, cancelled: boolean): void => {
      const d = this.drag;
      this.drag = null;
      this.selection.hidden = true;
      if (!d || d.panel !== panel || cancelled) return;
      d.x1 = ev.offsetX;
      const scale = panel.chart.scales.x;
      if (!scale) return;
      const area = panel.chart.chartArea;
      const clamp = (x: number) => Math.min(area.right, Math.max(area.left, x));
      if (Math.abs(d.x1 - d.x0) < MIN_DRAG_PX) {
        if (d.x0 >= area.left && d.x0 <= area.right) this.onPick(scale.getValueForPixel(d.x0) ?? 0);
        return;
      }
      const a = scale.getValueForPixel(clamp(Math.min(d.x0, d.x1))) ?? 0;
      const b = scale.getValueForPixel(clamp(Math.max(d.x0, d.x1))) ?? 0;
      if (b - a < 1) return;
      this.zoom = { min: a, max: b };
      this.applyWindow();
      this.onZoom(this.zoom);
    };
    canvas.addEventListener('pointerup', (ev) => finish(ev, false));
    canvas.addEventListener('pointercancel', (ev) => finish(ev, true));
  }

  /** The dragged range, drawn across the whole stack so every chart shows what will be kept. */
  private showSelection(panel: Panel, canvas: HTMLCanvasElement): void {
    const d = this.drag;
    if (!d) return;
    const area = panel.chart.chartArea;
    const left = Math.max(area.left, Math.min(d.x0, d.x1));
    const right = Math.min(area.right, Math.max(d.x0, d.x1));
    const offset = canvas.getBoundingClientRect().left - this.element.getBoundingClientRect().left;
    this.selection.hidden = right - left < MIN_DRAG_PX;
    this.selection.style.left = `${offset + left}px`;
    this.selection.style.width = `${right - left}px`;
  }

  /** Bands and hold periods under the lines; log marks and the picked moment over them. */
  private overlayPlugin(): Plugin<'line'> {
    return {
      id: 'ipp-overlay',
      beforeDatasetsDraw: (chart) => {
        const panel = this.panels.find((p) => p.chart === chart);
        const { ctx, chartArea: area, scales } = chart;
        const x = scales.x;
        const y = scales.y;
        if (!panel || !x || !y) return;
        ctx.save();
        ctx.beginPath();
        ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
        ctx.clip();
        const band = panel.def.band && this.bands ? this.bands[panel.def.band] : undefined;
        if (band) {
          for (const [lo, hi, colour] of bandRanges(band, y.min, Math.max(y.max, band.poor))) {
            const top = y.getPixelForValue(Math.min(hi, y.max));
            const bottom = y.getPixelForValue(Math.max(lo, y.min));
            if (bottom <= top) continue;
            ctx.fillStyle = colour + BAND_ALPHA;
            ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
          }
        }
        ctx.fillStyle = HOLD_FILL;
        for (const [a, b] of this.holds) {
          const l = x.getPixelForValue(a);
          const r = x.getPixelForValue(b);
          ctx.fillRect(l, area.top, r - l, area.bottom - area.top);
        }
        ctx.restore();
      },
      afterDatasetsDraw: (chart) => {
        const { ctx, chartArea: area, scales } = chart;
        const x = scales.x;
        if (!x) return;
        ctx.save();
        for (const m of this.marks) {
          if (m.t < x.min || m.t > x.max) continue;
          const px = Math.round(x.getPixelForValue(m.t)) + 0.5;
          ctx.strokeStyle = m.tone === 'err' ? VERDICT_COLOURS.poor : LOG_MARK_COLOUR;
          ctx.lineWidth = 1;
          ctx.beginPath();
          ctx.moveTo(px, area.bottom);
          ctx.lineTo(px, area.bottom - (m.tone === 'err' ? 10 : 6));
          ctx.stroke();
        }
        if (this.picked !== null && this.picked >= x.min && this.picked <= x.max) {
          const px = Math.round(x.getPixelForValue(this.picked)) + 0.5;
          ctx.strokeStyle = PICK_COLOUR;
          ctx.lineWidth = 1.5;
          ctx.setLineDash([4, 3]);
          ctx.beginPath();
          ctx.moveTo(px, area.top);
          ctx.lineTo(px, area.bottom);
          ctx.stroke();
        }
        ctx.restore();
      },
    };
  }
}
