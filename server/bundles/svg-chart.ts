/**
 * Time-series charts as inline SVG text, drawn on the server: the report must open offline, with
 * no script and under a strict CSP. Each sample is a step from its start to its end (a 5-second
 * interval or a whole-call report), so interval values and session values draw side by side.
 */
import { escapeHtml } from './html.js';

export interface ChartSeries {
  readonly label: string;
  /** [startMs, endMs, value], any order. */
  readonly points: ReadonlyArray<readonly [number, number, number]>;
}

/** Where fair and poor begin; shaded so a reader sees at a glance which side of the line a value is. */
export interface ChartBand {
  readonly fair: number;
  readonly poor: number;
  readonly lowerIsWorse: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly ChartSeries[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly band?: ChartBand;
  /** Fixed axis (MOS 1–5); otherwise from 0 to the largest value. */
  readonly yMin?: number;
  readonly yMax?: number;
}

const WIDTH = 760;
const PLOT_HEIGHT = 140;
const LEGEND_PER_ROW = 4;
const LEGEND_ROW_PX = 13;
const PAD = { left: 48, right: 12, top: 22 };
const Y_TICKS = 4;
const X_TICKS = 6;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const FAIR_FILL = '#fff4d6';
const POOR_FILL = '#fde0dc';
/** Draw at most this many steps per series: a worst-per-pixel reduction keeps bursts visible. */
const MAX_STEPS = WIDTH - PAD.left - PAD.right;

export function timeSeriesSvg(c: ChartSpec): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = PLOT_HEIGHT;
  const height = PAD.top + plotH + 24 + Math.ceil(Math.max(1, c.series.length) / LEGEND_PER_ROW) * LEGEND_ROW_PX;
  const from = c.fromMs;
  const span = Math.max(1, c.toMs - c.fromMs);
  const values = c.series.flatMap((s) => s.points.map((p) => p[2]));
  const yMin = c.yMin ?? Math.min(0, ...values);
  const top = c.yMax ?? niceCeiling(Math.max(1, ...values, c.band && !c.band.lowerIsWorse ? c.band.poor * 1.2 : 0));
  const yMax = top > yMin ? top : yMin + 1;
  const x = (ms: number) => PAD.left + (Math.min(Math.max(ms, from), from + span) - from) / span * plotW;
  const y = (v: number) => PAD.top + plotH - (Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin) * plotH;
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(c.title)}">`);
  parts.push(`<text x="${PAD.left}" y="14" class="chart-title">${escapeHtml(c.title)} (${escapeHtml(c.unit)})</text>`);
  if (c.band) {
    const { fair, poor, lowerIsWorse } = c.band;
    const [fairFrom, fairTo, poorFrom, poorTo] = lowerIsWorse ? [poor, fair, yMin, poor] : [fair, poor, poor, yMax];
    const rect = (a: number, b: number, fill: string) => {
      const y1 = y(Math.max(a, b));
      const y2 = y(Math.min(a, b));
      if (y2 - y1 > 0) parts.push(`<rect x="${PAD.left}" y="${f(y1)}" width="${plotW}" height="${f(y2 - y1)}" fill="${fill}"/>`);
    };
    rect(fairFrom, fairTo, FAIR_FILL);
    rect(poorFrom, poorTo, POOR_FILL);
  }
  for (let i = 0; i <= Y_TICKS; i++) {
    const v = yMin + (yMax - yMin) * i / Y_TICKS;
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#ddd"/>`);
    parts.push(`<text x="${PAD.left - 4}" y="${f(y(v) + 4)}" text-anchor="end" class="tick">${escapeHtml(trim(v))}</text>`);
  }
  for (let i = 0; i <= X_TICKS; i++) {
    const t = from + span * i / X_TICKS;
    parts.push(`<text x="${f(x(t))}" y="${PAD.top + plotH + 14}" text-anchor="middle" class="tick">${new Date(t).toISOString().slice(11, 19)}</text>`);
  }
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  c.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const steps = reduce([...s.points].sort((a, b) => a[0] - b[0]), from, span, c.band?.lowerIsWorse ?? false);
    if (steps.length === 0) return;
    const d = steps.map(([a, b, v]) => `M${f(x(a))} ${f(y(v))}H${f(Math.max(x(b), x(a) + 1))}`).join('');
    parts.push(`<path d="${d}" stroke="${colour}" stroke-width="2" fill="none" class="series" data-label="${escapeHtml(s.label)}"/>`);
    const lx = PAD.left + (i % LEGEND_PER_ROW) * (plotW / LEGEND_PER_ROW);
    const ly = PAD.top + plotH + 30 + Math.floor(i / LEGEND_PER_ROW) * LEGEND_ROW_PX;
    parts.push(`<rect x="${f(lx)}" y="${ly - 5}" width="10" height="3" fill="${colour}"/><text x="${f(lx + 14)}" y="${ly}" class="legend">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Keeps the worst value per horizontal pixel, so a long call still shows its one-second burst. */
function reduce(points: ReadonlyArray<readonly [number, number, number]>, from: number, span: number, lowerIsWorse: boolean): Array<[number, number, number]> {
  if (points.length <= MAX_STEPS) return points.map((p) => [p[0], p[1], p[2]]);
  const out: Array<[number, number, number]> = [];
  let bucket = -1;
  for (const [a, b, v] of points) {
    const k = Math.floor((a - from) / span * MAX_STEPS);
    const last = out[out.length - 1];
    if (k !== bucket || !last) {
      out.push([a, b, v]);
      bucket = k;
    } else {
      last[1] = Math.max(last[1], b);
      if (lowerIsWorse ? v < last[2] : v > last[2]) last[2] = v;
    }
  }
  return out;
}

function niceCeiling(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= v) return m * magnitude;
  return 10 * magnitude;
}

function trim(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1).replace(/\.?0+$/, '');
}
