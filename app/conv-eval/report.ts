/** The conversation bench's report: rates per split, category and language, and every failure with its messages. */
import type { ScenarioResult } from './runner.js';

export interface Rate {
  right: number;
  total: number;
  rate: number;
}

const rate = (rs: ScenarioResult[]): Rate => {
  const right = rs.filter((r) => r.ok).length;
  return { right, total: rs.length, rate: rs.length ? right / rs.length : 0 };
};

function groupBy(rs: ScenarioResult[], key: (r: ScenarioResult) => string): Map<string, ScenarioResult[]> {
  const m = new Map<string, ScenarioResult[]>();
  for (const r of rs) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return new Map([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export interface BenchSummary {
  overall: Rate;
  byLanguage: Record<string, Rate>;
  bySplit: Record<string, Rate>;
  byCategory: Record<string, Rate & { en: Rate; zh: Rate }>;
}

export function summarize(results: ScenarioResult[]): BenchSummary {
  const obj = (m: Map<string, ScenarioResult[]>) => Object.fromEntries([...m].map(([k, v]) => [k, rate(v)]));
  return {
    overall: rate(results),
    byLanguage: obj(groupBy(results, (r) => r.scenario.lang)),
    bySplit: obj(groupBy(results, (r) => r.scenario.split)),
    byCategory: Object.fromEntries(
      [...groupBy(results, (r) => r.scenario.category)].map(([k, v]) => [
        k,
        { ...rate(v), en: rate(v.filter((r) => r.scenario.lang === 'en')), zh: rate(v.filter((r) => r.scenario.lang === 'zh')) },
      ]),
    ),
  };
}

const pct = (r: Rate) => (r.total ? `${(100 * r.rate).toFixed(1)}% (${r.right}/${r.total})` : '-');

/** A plain-text table per category and language. */
export function formatTable(s: BenchSummary): string {
  const rows = Object.entries(s.byCategory).map(([k, v]) => `| ${k} | ${pct(v.en)} | ${pct(v.zh)} | ${pct(v)} |`);
  const lang = (l: string) => s.byLanguage[l] ?? { right: 0, total: 0, rate: 0 };
  return [
    '| category | English | Chinese | all |',
    '|---|---|---|---|',
    ...rows,
    `| **all** | ${pct(lang('en'))} | ${pct(lang('zh'))} | ${pct(s.overall)} |`,
  ].join('\n');
}

const clip = (t: string, n = 300) => (t.length > n ? `${t.slice(0, n)}…` : t).replace(/\n+/g, ' ⏎ ');

/** Every failed conversation: each turn sent, what came back, and the checks that failed. */
export function formatFailures(results: ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.ok) continue;
    out.push(`✗ ${r.scenario.id} [${r.scenario.category}, ${r.scenario.lang}, ${r.scenario.split}${r.scenario.as ? `, as ${r.scenario.as}` : ''}]`);
    for (const t of r.turns) {
      out.push(`   > ${t.sent}${t.clicked ? ` (value ${t.clicked})` : ''}`);
      for (const m of t.replies) {
        const extras = [
          ...(m.cards ?? []).map((c) => `card ${c.id}${c.label ? `(${c.label})` : ''}`),
          ...(m.suggestedActions ?? []).map((a) => `[${a.title}]`),
        ];
        out.push(`   < ${clip(m.text)}${extras.length ? `  ${extras.join(' ')}` : ''}`);
      }
      for (const f of t.failures) out.push(`     ! ${f}`);
    }
  }
  return out.join('\n');
}
