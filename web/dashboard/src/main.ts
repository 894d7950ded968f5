/**
 * The supervisors' dashboard: sign in (supervisor or admin), pick a range of shop days, read
 * the KPI tiles, the per-day and breakdown charts (inline SVG, charts.ts), the unanswered
 * questions and the ads table, export the CSV. Plain TypeScript and DOM; talks to
 * /api/console/{me,login,logout} and /api/dashboard/{summary,export.csv} only.
 */
import type { DashboardSummary } from '../../../app/dashboard/summary.js';
import { label } from '../../shared/labels.js';
import { barChart, lineChart } from './charts.js';
import { DICTS, initialLang, type Dict, type Lang } from './i18n.js';

interface Me {
  agent: { id: string; name: string; email: string; role: 'agent' | 'supervisor' | 'admin' };
  csrfToken?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
};

const LANG_KEY = 'sa-dashboard-lang';
let lang: Lang = initialLang(safeStorage()?.getItem(LANG_KEY) ?? null, navigator.language);
let t: Dict = DICTS[lang];
let me: Me | null = null;
let summary: DashboardSummary | null = null;
let loading = 0;
/** What the status line says, as a function of the language: a switch rewrites it. */
let status: { text: () => string; error: boolean } | null = null;

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

async function api<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init, headers: { Accept: 'application/json', ...(init.headers ?? {}) } });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; reason?: string } };
  if (!res.ok) throw new HttpError(res.status, body.error?.message ?? res.statusText, body.error?.reason);
  return body as T;
}

// ------------------------------------------------------------------ formatting

const locale = () => (lang === 'zh' ? 'zh-CN' : 'en');
const num = (v: number) => new Intl.NumberFormat(locale()).format(v);
const pct = (r: number | null) => (r === null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(r));
const money = (v: number) => new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
const score = (v: number | null) => (v === null ? '–' : new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(v));

export function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return t.seconds(s);
  if (s < 3600) return t.minutes(Math.floor(s / 60), s % 60);
  return t.hours(Math.floor(s / 3600), Math.floor((s % 3600) / 60));
}

const roleName = (role: string) => t.roles.get(role) ?? role;
const langNames = (codes: string[]) => codes.map((c) => t.langs.get(c) ?? c).join(t.listJoin);

// ---------------------------------------------------------------------- views

function show(view: 'login' | 'forbidden' | 'app'): void {
  $('login-view').hidden = view !== 'login';
  $('forbidden-view').hidden = view !== 'forbidden';
  $('app-view').hidden = view !== 'app';
}

function applyLang(): void {
  t = DICTS[lang];
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t.title} · Shop Assistant`;
  document.querySelectorAll<HTMLElement>('[data-i18n]').forEach((e) => {
    const v = t[e.dataset['i18n'] as keyof Dict];
    if (typeof v === 'string') e.textContent = v;
  });
  document.querySelectorAll<HTMLElement>('[data-lang-toggle]').forEach((b) => {
    b.textContent = t.langToggle;
    b.setAttribute('lang', lang === 'zh' ? 'en' : 'zh-CN');
  });
  document.querySelectorAll<HTMLElement>('[data-preset]').forEach((b) => {
    b.textContent = t.preset(Number(b.dataset['preset']));
  });
  if (me) renderWho();
  if (me && me.agent.role === 'agent') $('forbidden-text').textContent = t.forbidden(me.agent.name, me.agent.role);
  if (summary) render(summary);
  renderStatus();
}

function renderWho(): void {
  $('who').textContent = me ? `${me.agent.name} · ${roleName(me.agent.role)}` : '';
}

function setStatus(text: () => string, error = false): void {
  status = { text, error };
  renderStatus();
}

function renderStatus(): void {
  const el = $('status');
  el.textContent = status ? status.text() : '';
  el.classList.toggle('error', !!status?.error);
}

// ----------------------------------------------------------------------- days

function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + n * 86_400_000).toISOString().slice(0, 10);
}

function rangeQuery(from?: string, to?: string): string {
  const q = new URLSearchParams();
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function load(from?: string, to?: string): Promise<void> {
  const mine = ++loading;
  setStatus(() => t.loading);
  $('app-view').setAttribute('aria-busy', 'true');
  try {
    const s = await api<DashboardSummary>(`/api/dashboard/summary${rangeQuery(from, to)}`);
    if (mine !== loading) return;
    summary = s;
    $<HTMLInputElement>('from').value = s.from;
    $<HTMLInputElement>('to').value = s.to;
    $<HTMLAnchorElement>('export').href = `/api/dashboard/export.csv${rangeQuery(s.from, s.to)}`;
    history.replaceState(null, '', `${location.pathname}${rangeQuery(s.from, s.to)}`);
    render(s);
    setStatus(() => t.loaded(s.from, s.to));
  } catch (err) {
    if (mine !== loading) return;
    if (err instanceof HttpError && err.status === 401) return void showLogin();
    const message = err instanceof Error ? err.message : String(err);
    setStatus(() => t.failed(message), true);
  } finally {
    if (mine === loading) $('app-view').removeAttribute('aria-busy');
  }
}

// --------------------------------------------------------------------- render

function tile(key: string, label: string, value: string, raw: number | null, sub: string): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'kpi';
  li.dataset['kpi'] = key;
  li.dataset['value'] = raw === null ? '' : String(raw);
  const l = document.createElement('span');
  l.className = 'label';
  l.textContent = label;
  const v = document.createElement('span');
  v.className = 'value';
  v.textContent = value;
  const s = document.createElement('span');
  s.className = 'sub';
  s.textContent = sub;
  li.append(l, v, s);
  return li;
}

function render(s: DashboardSummary): void {
  $('kpis').replaceChildren(
    tile('conversations', t.conversations, num(s.conversations.total), s.conversations.total, t.withCustomer(num(s.conversations.withCustomerMessage))),
    tile('containment', t.containment, pct(s.containment.rate), s.containment.rate, t.contained(num(s.containment.contained))),
    tile('handoffs', t.handoffs, num(s.handoffs.count), s.handoffs.count, t.handoffRate(pct(s.handoffs.rate))),
    tile('fallbackRate', t.fallbackRate, pct(s.fallbacks.rate), s.fallbacks.rate, t.fallbacks(num(s.fallbacks.count), num(s.fallbacks.annotated))),
    tile('csat', t.csat, score(s.csat.average), s.csat.average, t.csatCount(num(s.csat.count), pct(s.csat.satisfiedShare))),
    tile('firstResponse', t.firstResponse, duration(s.firstResponse.medianSeconds), s.firstResponse.medianSeconds, t.medianP90(duration(s.firstResponse.p90Seconds), num(s.firstResponse.count))),
    tile('handleTime', t.handleTime, duration(s.handleTime.medianSeconds), s.handleTime.medianSeconds, t.medianP90(duration(s.handleTime.p90Seconds), num(s.handleTime.count))),
    tile('recCtr', t.recCtr, pct(s.recommendations.ctr), s.recommendations.ctr, t.recClicks(num(s.recommendations.clicks), num(s.recommendations.impressions))),
    tile('recConversion', t.recConversion, pct(s.recommendations.conversionRate), s.recommendations.conversionRate, t.recConversions(num(s.recommendations.conversions))),
    tile('adsRoas', t.adsRoas, score(s.ads.total.roas), s.ads.total.roas, t.adsSpend(money(s.ads.total.spend), money(s.ads.total.revenue))),
  );

  const days = s.daily.map((d) => d.day);
  $('chart-daily').replaceChildren(
    lineChart({
      title: t.chartDaily,
      labels: days,
      series: [
        { name: t.seriesConversations, color: 'var(--c1)', values: s.daily.map((d) => d.conversations) },
        { name: t.seriesHandoffs, color: 'var(--c2)', values: s.daily.map((d) => d.handoffs) },
      ],
      format: num,
      empty: t.noData,
    }),
    legend([
      [t.seriesConversations, 'var(--c1)'],
      [t.seriesHandoffs, 'var(--c2)'],
    ]),
  );
  $('chart-containment').replaceChildren(
    lineChart({ title: t.chartContainment, labels: days, series: [{ name: t.seriesContainment, color: 'var(--c1)', values: s.daily.map((d) => d.containmentRate) }], max: 1, format: pct, empty: t.noData }),
  );
  $('chart-reasons').replaceChildren(barChart({ title: t.chartReasons, items: s.handoffs.byReason.map((r) => ({ key: r.reason, label: label('reason', r.reason, lang), value: r.count })), color: 'var(--c2)', format: num, empty: t.noData }));
  $('chart-intents').replaceChildren(barChart({ title: t.chartIntents, items: s.intents.top.map((i) => ({ key: i.intent, label: label('intent', i.intent, lang), value: i.count })), color: 'var(--c3)', format: num, empty: t.noData }));
  $('chart-csat').replaceChildren(
    barChart({ title: t.chartCsat, items: s.csat.distribution.map((n, i) => ({ key: String(i + 1), label: t.stars(i + 1), value: n })), color: 'var(--c1)', format: num, empty: t.noData }),
  );
  $('chart-csat-daily').replaceChildren(
    lineChart({ title: t.chartCsatDaily, labels: days, series: [{ name: t.seriesCsat, color: 'var(--c3)', values: s.daily.map((d) => d.csatAverage) }], max: 5, format: score, empty: t.noData }),
  );

  $('unanswered-note').textContent = t.unansweredNote(num(s.unanswered.total), String(s.unanswered.threshold));
  table(
    $('unanswered') as HTMLTableElement,
    [t.colQuestion, t.colCount, t.colExamples, t.colLanguages],
    [1],
    s.unanswered.clusters.map((c) => [c.text, num(c.count), c.examples.join(' · '), langNames(c.languages)]),
  );
  const ads = s.ads.campaigns.map((c) => [`${c.name}`, num(c.impressions), num(c.clicks), pct(c.ctr), money(c.spend), num(c.conversions), money(c.revenue), score(c.roas === null ? null : Math.round(c.roas * 100) / 100)]);
  const tt = s.ads.total;
  const rows = ads.length > 0 ? [...ads, [t.total, num(tt.impressions), num(tt.clicks), pct(tt.ctr), money(tt.spend), num(tt.conversions), money(tt.revenue), score(tt.roas)]] : [];
  table($('ads') as HTMLTableElement, [t.colCampaign, t.colImpressions, t.colClicks, t.colCtr, t.colSpend, t.colConversions, t.colRevenue, t.colRoas], [1, 2, 3, 4, 5, 6, 7], rows);
}

function legend(items: Array<[string, string]>): HTMLElement {
  const div = document.createElement('div');
  div.className = 'legend-row';
  div.setAttribute('aria-hidden', 'true');
  for (const [name, color] of items) {
    const span = document.createElement('span');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    span.append(sw, name);
    div.append(span);
  }
  return div;
}

function table(tableEl: HTMLTableElement, headers: string[], numeric: number[], rows: string[][]): void {
  const thead = document.createElement('thead');
  const hr = document.createElement('tr');
  headers.forEach((h, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    if (numeric.includes(i)) th.className = 'num';
    hr.append(th);
  });
  thead.append(hr);
  const tbody = document.createElement('tbody');
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = headers.length;
    td.className = 'muted';
    td.textContent = t.noneYet;
    tr.append(td);
    tbody.append(tr);
  }
  for (const r of rows) {
    const tr = document.createElement('tr');
    r.forEach((cell, i) => {
      const c = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) (c as HTMLTableCellElement).scope = 'row';
      if (numeric.includes(i)) c.className = 'num';
      c.textContent = cell;
      tr.append(c);
    });
    tbody.append(tr);
  }
  tableEl.replaceChildren(thead, tbody);
}

// ------------------------------------------------------------------ sign in/out

function showLogin(): void {
  me = null;
  summary = null;
  show('login');
  $('login-email').focus();
}

async function enter(m: Me): Promise<void> {
  me = m;
  renderWho();
  if (m.agent.role === 'agent') {
    $('forbidden-text').textContent = t.forbidden(m.agent.name, m.agent.role);
    show('forbidden');
    return;
  }
  show('app');
  const q = new URLSearchParams(location.search);
  await load(q.get('from') ?? undefined, q.get('to') ?? undefined);
}

function wire(): void {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const err = $('login-error');
    err.hidden = true;
    const email = $<HTMLInputElement>('login-email').value.trim();
    const password = $<HTMLInputElement>('login-password').value;
    const button = $<HTMLButtonElement>('login-submit');
    button.disabled = true;
    api<Me>('/api/console/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) })
      .then((m) => {
        $<HTMLInputElement>('login-password').value = '';
        return enter(m);
      })
      .catch((ex: unknown) => {
        err.textContent = ex instanceof HttpError && ex.status === 429 ? t.lockedOut : ex instanceof HttpError && ex.status === 401 ? t.wrongLogin : String(ex instanceof Error ? ex.message : ex);
        err.hidden = false;
      })
      .finally(() => (button.disabled = false));
  });
  document.querySelectorAll<HTMLElement>('[data-logout]').forEach((b) => {
    b.addEventListener('click', () => {
      const csrf = me?.csrfToken ?? '';
      void api('/api/console/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf } })
        .catch(() => undefined)
        .then(showLogin);
    });
  });
  document.querySelectorAll<HTMLElement>('[data-lang-toggle]').forEach((b) => {
    b.addEventListener('click', () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      safeStorage()?.setItem(LANG_KEY, lang);
      applyLang();
    });
  });
  $('range-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $<HTMLInputElement>('from').value;
    const to = $<HTMLInputElement>('to').value;
    void load(from || undefined, to || undefined);
  });
  document.querySelectorAll<HTMLElement>('[data-preset]').forEach((b) => {
    b.addEventListener('click', () => {
      const to = summary?.to ?? $<HTMLInputElement>('to').value;
      const n = Number(b.dataset['preset']);
      void (to ? load(addDays(to, -(n - 1)), to) : load());
    });
  });
}

async function boot(): Promise<void> {
  wire();
  applyLang();
  try {
    await enter(await api<Me>('/api/console/me'));
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) showLogin();
    else {
      show('app');
      const message = err instanceof Error ? err.message : String(err);
      setStatus(() => t.failed(message), true);
    }
  }
}

void boot();
