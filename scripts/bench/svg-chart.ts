/**
 * A small SVG line-chart writer for benchmark runs: stacked panels that share the time axis, each
 * with its own y axis and one or more polyline series, plus optional vertical markers (e.g. the
 * sell-out moment). No library; the file opens in any browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Series {
  name: string;
  /** [x, y] with x in the chart's x unit (seconds for a run); NaN y values break the line. */
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  unit?: string;
  series: Series[];
  /** Lower bound of the y axis (default 0). */
  yMin?: number;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel?: string;
  panels: Panel[];
  markers?: Array<{ x: number; label: string; color?: string }>;
  width?: number;
  panelHeight?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2 or 5 times a power of ten, so that about `target` steps cover `span`. */
function niceStep(span: number, target: number): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

const fmt = (v: number) => (Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(0)}k` : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));

export function renderChart(o: ChartOptions): string {
  const width = o.width ?? 960;
  const ph = o.panelHeight ?? 170;
  const left = 70;
  const right = 20;
  const top = o.subtitle ? 72 : 56;
  const gap = 40;
  const bottom = 44;
  const plotW = width - left - right;
  const height = top + o.panels.length * (ph + gap) - gap + bottom;

  const allX = o.panels.flatMap((p) => p.series.flatMap((s) => Array.from(s.points, (pt) => pt?.[0] ?? NaN))).filter(Number.isFinite);
  const xMin = Math.min(0, ...allX);
  const xMax = Math.max(xMin + 1, ...allX, ...(o.markers ?? []).map((m) => m.x));
  const xs = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const xStep = niceStep(xMax - xMin, 12);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  if (o.subtitle) out.push(`<text x="${left}" y="38" fill="#555">${esc(o.subtitle)}</text>`);

  o.panels.forEach((panel, pi) => {
    const y0 = top + pi * (ph + gap);
    const ys = panel.series.flatMap((s) => Array.from(s.points, (pt) => pt?.[1] ?? NaN)).filter(Number.isFinite);
    const yMin = panel.yMin ?? 0;
    const yMaxRaw = Math.max(yMin + 1, ...ys);
    const yStep = niceStep(yMaxRaw - yMin, 4);
    const yMax = Math.ceil(yMaxRaw / yStep) * yStep;
    const yPix = (y: number) => y0 + ph - ((y - yMin) / (yMax - yMin)) * ph;

    out.push(`<g>`);
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="bold">${esc(panel.title)}${panel.unit ? ` <tspan font-weight="normal" fill="#555">(${esc(panel.unit)})</tspan>` : ''}</text>`);
    out.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${ph}" fill="none" stroke="#999"/>`);
    for (let y = yMin; y <= yMax + 1e-9; y += yStep) {
      const py = yPix(y).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${py}" y2="${py}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" fill="#333">${fmt(y)}</text>`);
    }
    for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
      const px = xs(x).toFixed(1);
      out.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + ph}" stroke="#f3f3f3"/>`);
      if (pi === o.panels.length - 1) out.push(`<text x="${px}" y="${y0 + ph + 14}" text-anchor="middle" fill="#333">${fmt(x)}</text>`);
    }
    for (const m of o.markers ?? []) {
      const px = xs(m.x).toFixed(1);
      out.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + ph}" stroke="${m.color ?? '#888'}" stroke-dasharray="4 3"/>`);
      const nearRight = xs(m.x) > left + plotW * 0.85;
      if (pi === 0) out.push(`<text x="${px}" y="${y0 + 12}" dx="${nearRight ? -3 : 3}" text-anchor="${nearRight ? 'end' : 'start'}" fill="${m.color ?? '#555'}">${esc(m.label)}</text>`);
    }
    const legend: Array<{ name: string; color: string; dashed?: boolean | undefined }> = [];
    panel.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      // NaN breaks the line into segments.
      const segments: string[][] = [[]];
      for (let k = 0; k < s.points.length; k++) {
        const [x, y] = s.points[k] ?? [NaN, NaN];
        if (!Number.isFinite(x) || !Number.isFinite(y)) {
          if (segments[segments.length - 1]!.length) segments.push([]);
          continue;
        }
        segments[segments.length - 1]!.push(`${xs(x).toFixed(1)},${yPix(Math.min(Math.max(y, yMin), yMax)).toFixed(1)}`);
      }
      for (const seg of segments) {
        if (seg.length === 1) out.push(`<circle cx="${seg[0]!.split(',')[0]}" cy="${seg[0]!.split(',')[1]}" r="1.8" fill="${color}"/>`);
        else if (seg.length > 1)
          out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${seg.join(' ')}"/>`);
      }
      legend.push({ name: s.name, color: color!, dashed: s.dashed });
    });
    // Legend on the title row, right-aligned (above the plot, so it never hides a line or a marker).
    let lx = left + plotW;
    for (const item of legend.reverse()) {
      lx -= item.name.length * 6 + 36;
      const ly = y0 - 8;
      out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${item.color}" stroke-width="2"${item.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      out.push(`<text x="${lx + 24}" y="${ly}" fill="#222">${esc(item.name)}</text>`);
    }
    out.push(`</g>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#333">${esc(o.xLabel ?? 'seconds since the first arrival')}</text>`);
  out.push(`</svg>`);
  return out.join('\n');
}

/** Writes the chart (creating the folder) and returns the path. */
export function writeChart(path: string, o: ChartOptions): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderChart(o));
  return path;
}
