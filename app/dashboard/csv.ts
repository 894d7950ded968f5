/**
 * The summary as one CSV table in long form — `metric,dimension,value` — so it opens in any
 * spreadsheet as three columns that filter and pivot well (one row per number; `dimension` is
 * the day, reason, intent, campaign or question the number belongs to, empty for totals).
 * RFC 4180: CRLF line ends, fields with a comma, quote or line break are quoted and quotes
 * doubled. A UTF-8 byte-order mark makes Excel read Chinese text correctly. Shopper text that
 * starts like a formula (= + - @) gets a leading apostrophe so a spreadsheet shows it as text.
 */
import type { DashboardSummary, Percentiles } from './summary.js';

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shopper- or staff-written text: neutralised against spreadsheet formula injection. */
function textCell(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export function summaryCsv(s: DashboardSummary): string {
  const rows: Array<[string, string, string | number | null]> = [];
  const add = (metric: string, dimension: string, value: string | number | null) => rows.push([metric, dimension, value]);
  add('range.from', '', s.from);
  add('range.to', '', s.to);
  add('range.time_zone', '', s.timeZone);
  add('conversations.total', '', s.conversations.total);
  add('conversations.with_customer_message', '', s.conversations.withCustomerMessage);
  add('containment.contained', '', s.containment.contained);
  add('containment.rate', '', s.containment.rate);
  add('handoffs.count', '', s.handoffs.count);
  add('handoffs.rate', '', s.handoffs.rate);
  for (const r of s.handoffs.byReason) add('handoffs.by_reason', r.reason, r.count);
  add('fallbacks.count', '', s.fallbacks.count);
  add('fallbacks.annotated', '', s.fallbacks.annotated);
  add('fallbacks.rate', '', s.fallbacks.rate);
  for (const i of s.intents.top) {
    add('intents.count', i.intent, i.count);
    add('intents.share', i.intent, i.share);
  }
  add('unanswered.total', '', s.unanswered.total);
  for (const c of s.unanswered.clusters) add('unanswered.cluster_count', textCell(c.text), c.count);
  add('csat.count', '', s.csat.count);
  add('csat.average', '', s.csat.average);
  add('csat.satisfied_share', '', s.csat.satisfiedShare);
  s.csat.distribution.forEach((n, i) => add('csat.distribution', String(i + 1), n));
  const times = (name: string, p: Percentiles) => {
    add(`${name}.count`, '', p.count);
    add(`${name}.median_seconds`, '', p.medianSeconds);
    add(`${name}.p90_seconds`, '', p.p90Seconds);
  };
  times('first_response', s.firstResponse);
  times('handle_time', s.handleTime);
  const r = s.recommendations;
  add('recommendations.impressions', '', r.impressions);
  add('recommendations.clicks', '', r.clicks);
  add('recommendations.ctr', '', r.ctr);
  add('recommendations.conversions', '', r.conversions);
  add('recommendations.conversion_rate', '', r.conversionRate);
  for (const [source, n] of Object.entries(r.otherClicks)) add('recommendations.other_clicks', source, n);
  for (const c of s.ads.campaigns) {
    const dim = textCell(`${c.name} (${c.campaignId})`);
    add('ads.impressions', dim, c.impressions);
    add('ads.clicks', dim, c.clicks);
    add('ads.spend', dim, c.spend);
    add('ads.conversions', dim, c.conversions);
    add('ads.revenue', dim, c.revenue);
    add('ads.roas', dim, c.roas === null ? null : Math.round(c.roas * 10_000) / 10_000);
  }
  const t = s.ads.total;
  add('ads.impressions', 'total', t.impressions);
  add('ads.clicks', 'total', t.clicks);
  add('ads.spend', 'total', t.spend);
  add('ads.conversions', 'total', t.conversions);
  add('ads.revenue', 'total', t.revenue);
  add('ads.roas', 'total', t.roas);
  for (const d of s.daily) {
    add('daily.conversations', d.day, d.conversations);
    add('daily.handoffs', d.day, d.handoffs);
    add('daily.containment_rate', d.day, d.containmentRate);
    add('daily.csat_average', d.day, d.csatAverage);
  }
  const lines = [['metric', 'dimension', 'value'], ...rows].map((row) => row.map(csvField).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
