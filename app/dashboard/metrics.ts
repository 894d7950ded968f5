/**
 * Prometheus metrics without a dependency: counters, gauges and histograms with labels, and
 * the text exposition format 0.0.4 (`# HELP`, `# TYPE`, escaped label values, histogram
 * `_bucket{le}` / `_sum` / `_count`). Every metric is declared up front with its label names;
 * using an undeclared metric or label is a programming error and throws (a typo would
 * otherwise export nothing, silently).
 *
 * Scrape-time values (queue length, conversations by status, ...) come from collectors that
 * run before each exposition and `set` gauges.
 */
import type { RequestHandler } from 'express';

export type MetricKind = 'counter' | 'gauge' | 'histogram';
export type Labels = Record<string, string>;

export interface MetricDefinition {
  name: string;
  help: string;
  kind: MetricKind;
  labelNames?: readonly string[];
  /** Histograms: upper bounds in seconds, ascending (+Inf is added). */
  buckets?: readonly number[];
}

/** Turn latency buckets, seconds. */
export const TURN_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The shop's metric set (what the runtime and the dashboard report). */
export const SHOP_METRICS: readonly MetricDefinition[] = [
  { name: 'shop_http_requests_total', help: 'HTTP requests answered, by method and status code.', kind: 'counter', labelNames: ['method', 'status'] },
  { name: 'shop_turns_total', help: 'Shopper messages the bot handled, by channel.', kind: 'counter', labelNames: ['channel'] },
  { name: 'shop_handoffs_total', help: 'Conversations handed to a human, by reason.', kind: 'counter', labelNames: ['reason'] },
  { name: 'shop_agent_replies_total', help: 'Messages agents sent to shoppers, by channel.', kind: 'counter', labelNames: ['channel'] },
  { name: 'shop_resolved_total', help: 'Hand-offs resolved by agents, by channel.', kind: 'counter', labelNames: ['channel'] },
  { name: 'shop_turn_seconds', help: 'Time the bot took to answer a shopper message, in seconds.', kind: 'histogram', buckets: TURN_BUCKETS },
  { name: 'shop_queue_length', help: 'Conversations waiting in the hand-off queue (read at scrape time).', kind: 'gauge' },
  { name: 'shop_conversations', help: 'Conversations by status (read at scrape time; bot and resolved may be up to a few minutes old).', kind: 'gauge', labelNames: ['status'] },
  { name: 'shop_agents', help: 'Agents by status (read at scrape time).', kind: 'gauge', labelNames: ['status'] },
  { name: 'shop_store_up', help: 'Whether this node\'s store answers (1) or not (0: temporary errors on the widget, app and Bot Framework; WeChat messages spooled).', kind: 'gauge' },
  { name: 'shop_wechat_spooled_messages', help: 'WeChat messages in this node\'s spool, waiting for the store to answer again.', kind: 'gauge' },
  { name: 'shop_oldest_queued_seconds', help: 'How long the longest-waiting queued conversation has waited, in seconds (0 when none).', kind: 'gauge' },
];

interface Series {
  labels: Labels;
  value: number;
  /** Histograms: cumulative-later counts per bucket (non-cumulative while recording), sum. */
  buckets?: number[];
  sum?: number;
}

interface Family {
  def: MetricDefinition & { labelNames: readonly string[] };
  series: Map<string, Series>;
}

/** `\` `"` and newline escaped, as label values need. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `\` and newline escaped, as HELP text needs. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Numbers as Prometheus writes them (+Inf, -Inf, NaN). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Methods named in the http counter; anything else counts as OTHER (bounded cardinality). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly collectors: Array<() => Promise<void> | void> = [];

  /** Declares the shop's metric set (SHOP_METRICS) unless `definitions` says otherwise. */
  constructor(definitions: readonly MetricDefinition[] = SHOP_METRICS) {
    for (const d of definitions) this.declare(d);
  }

  declare(def: MetricDefinition): void {
    if (!NAME.test(def.name)) throw new Error(`invalid metric name ${JSON.stringify(def.name)}`);
    if (this.families.has(def.name)) throw new Error(`metric ${def.name} is declared twice`);
    const labelNames = def.labelNames ?? [];
    for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__') || l === 'le') throw new Error(`invalid label name ${l} on ${def.name}`);
    let buckets = def.buckets;
    if (def.kind === 'histogram') {
      buckets = [...(buckets ?? TURN_BUCKETS)].filter((b) => b !== Infinity);
      if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets![i - 1]!))) throw new Error(`buckets of ${def.name} must be ascending finite numbers`);
    }
    this.families.set(def.name, { def: { ...def, labelNames, ...(buckets ? { buckets } : {}) }, series: new Map() });
  }

  /** Adds to a counter (or a gauge); `by` must be >= 0 for a counter. */
  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, ['counter', 'gauge']);
    if (!Number.isFinite(by) || (f.def.kind === 'counter' && by < 0)) throw new Error(`${name}: cannot add ${by} to a counter`);
    this.series(f, labels).value += by;
  }

  /** Sets a gauge. */
  set(name: string, value: number, labels: Labels = {}): void {
    this.series(this.family(name, ['gauge']), labels).value = value;
  }

  /** Records one observation (seconds) in a histogram. */
  observe(name: string, seconds: number, labels: Labels = {}): void {
    const f = this.family(name, ['histogram']);
    if (Number.isNaN(seconds)) return;
    const s = this.series(f, labels);
    const bounds = f.def.buckets!;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    s.buckets![i]! += 1;
    s.sum! += seconds;
    s.value += 1;
  }

  /** Runs before each exposition (scrape-time gauges). A failing collector is skipped, not fatal. */
  collect(fn: () => Promise<void> | void): void {
    this.collectors.push(fn);
  }

  /** Counts every HTTP response by method and status: mount it first, before every router. */
  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      res.once('finish', () => {
        this.inc('shop_http_requests_total', { method: METHODS.has(req.method) ? req.method : 'OTHER', status: String(res.statusCode) });
      });
      next();
    };
  }

  /** The exposition text (runs the collectors first). */
  async expose(): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch {
        // A store hiccup leaves those gauges at their last value; the rest still exports.
      }
    }
    return this.text();
  }

  /** The exposition text of the current values (no collectors). */
  text(): string {
    const out: string[] = [];
    for (const { def, series } of this.families.values()) {
      out.push(`# HELP ${def.name} ${escapeHelp(def.help)}`);
      out.push(`# TYPE ${def.name} ${def.kind}`);
      const all = [...series.values()];
      // A metric without labels exports its zero before anything happened.
      if (all.length === 0 && def.labelNames.length === 0) all.push(this.fresh(def, {}));
      for (const s of all) {
        if (def.kind !== 'histogram') {
          out.push(`${def.name}${labelText(s.labels)} ${formatValue(s.value)}`);
          continue;
        }
        let cumulative = 0;
        def.buckets!.forEach((b, i) => {
          cumulative += s.buckets![i]!;
          out.push(`${def.name}_bucket${labelText(s.labels, ['le', formatValue(b)])} ${cumulative}`);
        });
        out.push(`${def.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.value}`);
        out.push(`${def.name}_sum${labelText(s.labels)} ${formatValue(s.sum!)}`);
        out.push(`${def.name}_count${labelText(s.labels)} ${s.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  /** Current value of a counter or gauge series (0 if never touched); tests and the runtime. */
  value(name: string, labels: Labels = {}): number {
    const f = this.family(name, ['counter', 'gauge', 'histogram']);
    return f.series.get(this.key(f, labels))?.value ?? 0;
  }

  private family(name: string, kinds: MetricKind[]): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} is not declared`);
    if (!kinds.includes(f.def.kind)) throw new Error(`metric ${name} is a ${f.def.kind}`);
    return f;
  }

  private key(f: Family, labels: Labels): string {
    const names = Object.keys(labels);
    for (const n of names) if (!f.def.labelNames.includes(n)) throw new Error(`metric ${f.def.name} has no label ${n}`);
    return f.def.labelNames.map((n) => labels[n] ?? '').join('\u0000');
  }

  private fresh(def: Family['def'], labels: Labels): Series {
    // Labels in declaration order, every declared label present.
    const ordered: Labels = {};
    for (const n of def.labelNames) ordered[n] = labels[n] ?? '';
    return def.kind === 'histogram' ? { labels: ordered, value: 0, sum: 0, buckets: new Array<number>(def.buckets!.length + 1).fill(0) } : { labels: ordered, value: 0 };
  }

  private series(f: Family, labels: Labels): Series {
    const key = this.key(f, labels);
    let s = f.series.get(key);
    if (!s) f.series.set(key, (s = this.fresh(f.def, labels)));
    return s;
  }
}
