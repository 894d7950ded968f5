/**
 * Small inline-SVG charts drawn by hand (no library): a line chart over days and a
 * horizontal bar chart. Each SVG has role="img", a <title> and an aria-label that reads out
 * every number, and each point or bar carries its value in `data-value` (what a screen reader
 * and the browser test read).
 */
const NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface LineSeries {
  name: string;
  color: string;
  values: Array<number | null>;
}

export interface LineChartSpec {
  title: string;
  /** One label per point (the days). */
  labels: string[];
  series: LineSeries[];
  /** The y axis top; default the largest value (at least 1). */
  max?: number;
  format: (v: number) => string;
  /** Text for an empty chart. */
  empty: string;
}

/** A nice round axis top at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A short day label: "03-02". */
const shortDay = (d: string): string => d.slice(5);

function frame(title: string, label: string, w: number, h: number, kind: string): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label, 'data-chart': kind });
  svg.append(el('title', {}, title));
  return svg;
}

export function lineChart(spec: LineChartSpec): SVGSVGElement {
  const W = 520;
  const H = 210;
  const pad = { l: 40, r: 22, t: 10, b: 26 };
  const n = spec.labels.length;
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const describe = spec.series.map((s) => `${s.name}: ${s.values.map((v, i) => `${spec.labels[i]} ${v === null ? '–' : spec.format(v)}`).join(', ')}`).join('; ');
  const svg = frame(spec.title, `${spec.title}. ${values.length === 0 ? spec.empty : describe}`, W, H, 'line');
  if (values.length === 0 || n === 0) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, spec.empty));
    return svg;
  }
  const top = spec.max ?? niceMax(Math.max(...values));
  const x = (i: number) => pad.l + (n === 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (n - 1));
  const y = (v: number) => pad.t + (1 - v / top) * (H - pad.t - pad.b);
  // Axis and gridlines at 0, half and top.
  for (const g of [0, top / 2, top]) {
    svg.append(el('line', { x1: pad.l, x2: W - pad.r, y1: y(g), y2: y(g), class: 'axis' }));
    svg.append(el('text', { x: pad.l - 4, y: y(g) + 4, 'text-anchor': 'end' }, spec.format(g)));
  }
  // At most ~8 day labels.
  const step = Math.max(1, Math.ceil(n / 8));
  spec.labels.forEach((d, i) => {
    if (i % step === 0 || i === n - 1) svg.append(el('text', { x: x(i), y: H - 8, 'text-anchor': 'middle' }, shortDay(d)));
  });
  for (const s of spec.series) {
    const g = el('g', { 'data-series': s.name });
    // A line through consecutive known points; a null breaks it.
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    g.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    s.values.forEach((v, i) => {
      if (v === null) return;
      const c = el('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: n > 60 ? 1.5 : 3, fill: s.color, 'data-day': spec.labels[i]!, 'data-value': v });
      c.append(el('title', {}, `${s.name} ${spec.labels[i]}: ${spec.format(v)}`));
      g.append(c);
    });
    svg.append(g);
  }
  return svg;
}

export interface BarChartSpec {
  title: string;
  /** `key`: the code behind the bar (data-key, for tests and scripts); `label`: what is shown. */
  items: Array<{ key: string; label: string; value: number }>;
  color: string;
  format: (v: number) => string;
  empty: string;
}

export function barChart(spec: BarChartSpec): SVGSVGElement {
  const W = 520;
  const row = 26;
  const labelW = 150;
  const H = Math.max(60, spec.items.length * row + 10);
  const describe = spec.items.map((i) => `${i.label} ${spec.format(i.value)}`).join(', ');
  const svg = frame(spec.title, `${spec.title}. ${spec.items.length === 0 ? spec.empty : describe}`, W, H, 'bar');
  if (spec.items.length === 0) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, spec.empty));
    return svg;
  }
  const top = Math.max(1, ...spec.items.map((i) => i.value));
  const barW = (v: number) => (v / top) * (W - labelW - 60);
  spec.items.forEach((item, k) => {
    const yTop = 5 + k * row;
    const g = el('g', { 'data-key': item.key, 'data-label': item.label, 'data-value': item.value });
    const label = item.label.length > 22 ? `${item.label.slice(0, 21)}…` : item.label;
    g.append(el('text', { x: labelW - 6, y: yTop + 15, 'text-anchor': 'end' }, label));
    const rect = el('rect', { x: labelW, y: yTop + 3, width: Math.max(item.value > 0 ? 2 : 0, barW(item.value)).toFixed(1), height: row - 8, rx: 3, fill: spec.color });
    rect.append(el('title', {}, `${item.label}: ${spec.format(item.value)}`));
    g.append(rect);
    g.append(el('text', { x: labelW + barW(item.value) + 6, y: yTop + 15 }, spec.format(item.value)));
    svg.append(g);
  });
  return svg;
}
