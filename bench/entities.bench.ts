/**
 * Entity extraction benchmark (issue 16, part 3): recall per entity type, and what each missed
 * value was read as instead (an order number read as a phone, ...), on the Bitext
 * customer-service utterances (ENGLISH ONLY; ../shared/data, 8,175 utterances).
 *
 * The 8k Bitext file carries no slot placeholders ({{Order Number}} is only in Bitext's larger
 * release), so values are put into its utterances here: seeded, several formats per type, each
 * at the noun that names it when the utterance has one ("cancel an order" -> "cancel an order
 * 00004587345", "order #…", "order no. …") and otherwise after the sentence (", it's …"), by
 * intent: order numbers into order, delivery and refund intents; invoice numbers into invoice
 * intents; phones into contact intents; e-mails into account intents; countries and cities into
 * delivery and shipping-address intents. Countries and cities are drawn from wider lists than the
 * extractor knows (real places it does not list count as misses), so recall is not circular.
 *
 * Precision where the labels allow it: the raw utterances name no order, invoice, phone, e-mail,
 * country, city or colour (Bitext's "gold account", "premium account" are account tiers), so any
 * such entity found in them is a false positive; in the filled utterances, an entity of a type
 * that is not where a value was put is one too.
 *
 * Rows: the configuration this issue adds (ORDER_NUMBER_PATTERN=SA\d{6},\d{8,20}) and the
 * baseline measured in the same run, the default single-pattern configuration (SA\d{6}).
 * Person names are not extracted (see the README's entities section), so they are not measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseCsvObjects } from '../app/csv.js';
import { seededRandom } from '../knowledge/index.js';
import { CITIES, COUNTRIES, EntityExtractor, parseOrderNumberFormat, type OrderNumberFormat } from '../skills/nlu/entities/index.js';
import type { Entity } from '../skills/types.js';

const BITEXT = path.resolve('../shared/data/bitext-customer-service/bitext-customer-service-8k.csv');
const SEED = 16_3;
const NOW = new Date('2026-12-07T04:00:00Z');
const TYPES = ['order_number', 'invoice_number', 'phone', 'email', 'country', 'city'] as const;
type Slot = (typeof TYPES)[number];
/** Types no raw Bitext utterance holds: any found there is a false positive. */
const NEVER_IN_RAW = [...TYPES, 'color'] as const;

interface Value {
  /** As written into the utterance. */
  text: string;
  /** The value the extractor should give. */
  value: string;
  /** Which generator made it ("numeric 11, mobile-shaped"), for the per-format table. */
  kind: string;
}

interface Filled {
  text: string;
  slot: Slot;
  kind: string;
  value: string;
  start: number;
  end: number;
  /** The value was put after the sentence, away from the noun that names it. */
  detached: boolean;
}

const ORDER_INTENTS = new Set(['cancel_order', 'change_order', 'track_order', 'place_order', 'delivery_period', 'get_refund', 'track_refund', 'check_cancellation_fee', 'payment_issue', 'complaint']);
const INVOICE_INTENTS = new Set(['check_invoice', 'get_invoice']);
const PHONE_INTENTS = new Set(['contact_customer_service', 'contact_human_agent']);
const EMAIL_INTENTS = new Set(['create_account', 'edit_account', 'delete_account', 'recover_password', 'registration_problems', 'switch_account', 'newsletter_subscription']);
const PLACE_INTENTS = new Set(['delivery_options', 'change_shipping_address', 'set_up_shipping_address']);

/** Countries as shoppers name them: the demo's destinations, common others, and some the extractor does not list. */
const COUNTRY_NAMES: Array<[string, string]> = [
  ['Hong Kong', 'HK'], ['Macau', 'MO'], ['Taiwan', 'TW'], ['Singapore', 'SG'], ['Malaysia', 'MY'], ['Japan', 'JP'],
  ['South Korea', 'KR'], ['Korea', 'KR'], ['Australia', 'AU'], ['New Zealand', 'NZ'], ['the United States', 'US'], ['the US', 'US'],
  ['USA', 'US'], ['Canada', 'CA'], ['the UK', 'GB'], ['the United Kingdom', 'GB'], ['England', 'GB'], ['Ireland', 'IE'],
  ['Germany', 'DE'], ['France', 'FR'], ['Italy', 'IT'], ['Spain', 'ES'], ['the Netherlands', 'NL'], ['Sweden', 'SE'],
  ['Poland', 'PL'], ['Thailand', 'TH'], ['Vietnam', 'VN'], ['India', 'IN'], ['Brazil', 'BR'], ['Mexico', 'MX'],
  ['Peru', 'PE'], ['Kenya', 'KE'], ['Nigeria', 'NG'], ['Pakistan', 'PK'], ['Colombia', 'CO'], ['Morocco', 'MA'],
];
/** Mainland cities: the large ones and smaller ones beyond the extractor's bounded list. */
const CITY_NAMES: Array<[string, string]> = [
  ['Shanghai', 'Shanghai'], ['Beijing', 'Beijing'], ['Shenzhen', 'Shenzhen'], ['Guangzhou', 'Guangzhou'], ['Chengdu', 'Chengdu'],
  ['Hangzhou', 'Hangzhou'], ['Wuhan', 'Wuhan'], ["Xi'an", "Xi'an"], ['xian', "Xi'an"], ['Chongqing', 'Chongqing'], ['Nanjing', 'Nanjing'],
  ['Tianjin', 'Tianjin'], ['Suzhou', 'Suzhou'], ['Qingdao', 'Qingdao'], ['Kunming', 'Kunming'], ['Harbin', 'Harbin'], ['Xiamen', 'Xiamen'],
  ['Dalian', 'Dalian'], ['Urumqi', 'Urumqi'], ['Lhasa', 'Lhasa'], ['Sanya', 'Sanya'], ['Yiwu', 'Yiwu'],
  ['Mianyang', 'Mianyang'], ['Yancheng', 'Yancheng'], ['Zhaoqing', 'Zhaoqing'], ['Jingdezhen', 'Jingdezhen'],
];

function makers(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
  const order = (): Value => {
    const r = random();
    if (r < 0.3) {
      const v = `SA${digits(6)}`;
      const shown = pick([v, v.toLowerCase(), `SA-${v.slice(2)}`, `#${v}`]);
      return { text: shown, value: v, kind: 'SA + 6 digits' };
    }
    if (r < 0.45) {
      const v = `0000${digits(7)}`;
      return { text: v, value: v, kind: 'numeric, zero-padded 11' };
    }
    if (r < 0.6) {
      const v = `${pick(['2023', '2024', '2025'])}${pick(['01', '06', '11', '12'])}${pick(['03', '15', '28'])}${digits(4)}`;
      return { text: v, value: v, kind: 'numeric, date-like 12' };
    }
    if (r < 0.75) {
      const v = `1${pick(['3', '5', '8', '9'])}${digits(9)}`;
      return { text: v, value: v, kind: 'numeric 11, mobile-shaped' };
    }
    const n = 8 + Math.floor(random() * 13);
    const v = `${1 + Math.floor(random() * 9)}${digits(n - 1)}`;
    return { text: v, value: v, kind: 'numeric 8-20' };
  };
  const invoice = (): Value => {
    const r = random();
    if (r < 0.3) {
      const v = `INV-${pick(['2024', '2025', '2026'])}-${digits(5)}`;
      return { text: pick([v, v.toLowerCase()]), value: v, kind: 'INV-yyyy-nnnnn' };
    }
    if (r < 0.45) {
      const v = `INV${digits(6)}`;
      return { text: v, value: v, kind: 'INV + 6 digits' };
    }
    if (r < 0.7) {
      const v = digits(8);
      return { text: v, value: v, kind: 'fapiao, 8 digits' };
    }
    if (r < 0.85) {
      const v = `2${digits(19)}`;
      return { text: v, value: v, kind: 'e-fapiao, 20 digits' };
    }
    const v = `${pick(['FP', 'IN', 'BL'])}-${digits(6)}`;
    return { text: v, value: v, kind: 'letters-dash-digits' };
  };
  const phone = (): Value => {
    const mobile = `1${pick(['3', '5', '7', '8', '9'])}${digits(9)}`;
    const r = random();
    if (r < 0.35) return { text: mobile, value: mobile, kind: 'CN mobile' };
    if (r < 0.55) return { text: `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`, value: mobile, kind: 'CN mobile +86 spaced' };
    if (r < 0.75) {
      const area = pick(['010', '021', '0755', '0571']);
      const local = digits(8);
      return { text: `${area}-${local}`, value: `${area}${local}`, kind: 'CN landline' };
    }
    const local = `${2 + Math.floor(random() * 7)}${digits(9)}`;
    return { text: `+1 ${local.slice(0, 3)} ${local.slice(3, 6)} ${local.slice(6)}`, value: `+1${local}`, kind: 'international' };
  };
  const email = (): Value => {
    const user = `${pick(['li.wei', 'anna', 'j.smith', 'wang_fang', 'sam+shop'])}${digits(2)}`;
    const domain = pick(['example.com', 'mail.example.org', 'qq.com', 'Example.CN']);
    return { text: `${user}@${domain}`, value: `${user}@${domain.toLowerCase()}`, kind: 'e-mail' };
  };
  // Whether the extractor lists the place at all: recall on listed names measures matching, the rest coverage.
  const listedCountries = new Set(COUNTRIES.map((c) => c.value));
  const listedCities = new Set(CITIES.map((c) => c.value));
  const country = (): Value => {
    const [name, code] = pick(COUNTRY_NAMES);
    return { text: name, value: code, kind: listedCountries.has(code) ? 'listed' : 'not listed' };
  };
  const city = (): Value => {
    const [name, value] = pick(CITY_NAMES);
    return { text: name, value, kind: listedCities.has(value) ? 'listed' : 'not listed' };
  };
  return { pick, order, invoice, phone, email, country, city };
}

/** Puts `v` into `utterance`: after the noun that names it when there is one, else after the sentence. */
function fill(utterance: string, slot: Slot, v: Value, random: () => number, pick: <T>(xs: readonly T[]) => T): Filled {
  const base = utterance.replace(/[\s?.!]+$/, '');
  const put = (before: string, after: string, detached: boolean): Filled => ({
    text: `${before}${v.text}${after}`,
    slot,
    kind: v.kind,
    value: v.value,
    start: before.length,
    end: before.length + v.text.length,
    detached,
  });
  const noun: Partial<Record<Slot, RegExp>> = { order_number: /\b(order|purchase)\b/i, invoice_number: /\b(invoice|bill)\b/i };
  const re = noun[slot];
  const at = re ? re.exec(base) : null;
  if (at && random() < 0.75) {
    const cut = at.index + at[0].length;
    const marker = slot === 'order_number' ? pick(['', '', ' number', ' #', ' no.']) : pick(['', ' number', ' #', ' no.']);
    return put(`${base.slice(0, cut)}${marker} `.replace(/# $/, '#'), base.slice(cut), false);
  }
  switch (slot) {
    case 'order_number':
      return put(`${base}${pick([', it is ', ' - ', ' (', ', the number is ', '. '])}`, pick(['', '?', ')'].slice(0, 2)), true);
    case 'invoice_number':
      return put(`${base}${pick([', invoice ', ', invoice number ', ' - ', ' ('])}`, '', true);
    case 'phone':
      return put(`${base}${pick([', my number is ', ', call me on ', ' - phone: ', ', you can reach me at '])}`, '', true);
    case 'email':
      return put(`${base}${pick([', my email is ', ' (', ', e-mail: '])}`, '', true);
    case 'country':
      return put(`${base}${pick([' to ', ' in ', ', I live in ', ' for delivery to '])}`, pick(['', '?']), true);
    case 'city':
      return put(`${base}${pick([' to ', ' in ', ', I am in ', ' for an address in '])}`, pick(['', '?']), true);
  }
}

function slotOf(intent: string, random: () => number): Slot | undefined {
  if (INVOICE_INTENTS.has(intent)) return 'invoice_number';
  if (ORDER_INTENTS.has(intent)) return 'order_number';
  if (PHONE_INTENTS.has(intent)) return 'phone';
  if (EMAIL_INTENTS.has(intent)) return 'email';
  if (PLACE_INTENTS.has(intent)) return random() < 0.5 ? 'country' : 'city';
  return undefined;
}

function valueOf(e: Entity): string {
  return 'value' in e ? String(e.value) : '';
}

interface Tally {
  total: number;
  hit: number;
  /** Found with the right type but another value. */
  wrongValue: number;
  /** What a missed value was read as ("phone", "nothing"). */
  readAs: Map<string, number>;
}

const newTally = (): Tally => ({ total: 0, hit: 0, wrongValue: 0, readAs: new Map() });
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

interface Measured {
  byType: Map<Slot, Tally>;
  byKind: Map<string, Tally>;
  detached: Map<Slot, Tally>;
  /** Entities of each type found where no value was put (filled utterances) and in the raw ones. */
  falseInFilled: Map<string, number>;
  falseInRaw: Map<string, number>;
  rawExamples: Map<string, string[]>;
  cpuUsPerUtterance: number;
}

async function measure(extractor: EntityExtractor, filled: Filled[], raw: string[]): Promise<Measured> {
  const m: Measured = { byType: new Map(), byKind: new Map(), detached: new Map(), falseInFilled: new Map(), falseInRaw: new Map(), rawExamples: new Map(), cpuUsPerUtterance: 0 };
  const bump = (map: Map<string, number>, k: string) => map.set(k, (map.get(k) ?? 0) + 1);
  const results: Entity[][] = [];
  for (const f of filled) results.push(await extractor.extract(f.text, { now: NOW, locale: 'en' }));
  const rawResults: Entity[][] = [];
  for (const t of raw) rawResults.push(await extractor.extract(t, { now: NOW, locale: 'en' }));

  filled.forEach((f, i) => {
    const found = results[i]!;
    const tallies = [
      m.byType.get(f.slot) ?? m.byType.set(f.slot, newTally()).get(f.slot)!,
      m.byKind.get(`${f.slot}: ${f.kind}`) ?? m.byKind.set(`${f.slot}: ${f.kind}`, newTally()).get(`${f.slot}: ${f.kind}`)!,
      ...(f.detached ? [m.detached.get(f.slot) ?? m.detached.set(f.slot, newTally()).get(f.slot)!] : []),
    ];
    const over = found.filter((e) => e.start < f.end && f.start < e.end);
    const right = over.find((e) => e.type === f.slot);
    for (const t of tallies) {
      t.total++;
      if (right && valueOf(right) === f.value) t.hit++;
      else if (right) t.wrongValue++;
      else bump(t.readAs, over.length > 0 ? over.map((e) => e.type).join('+') : 'nothing');
    }
    for (const e of found) {
      if (over.includes(e)) continue;
      if ((NEVER_IN_RAW as readonly string[]).includes(e.type)) bump(m.falseInFilled, e.type);
    }
  });
  rawResults.forEach((found, i) => {
    for (const e of found) {
      if (!(NEVER_IN_RAW as readonly string[]).includes(e.type)) continue;
      bump(m.falseInRaw, e.type);
      const xs = m.rawExamples.get(e.type) ?? m.rawExamples.set(e.type, []).get(e.type)!;
      if (xs.length < 3) xs.push(`${raw[i]} [${e.text}]`);
    }
  });
  return m;
}

function format(pattern: string): OrderNumberFormat {
  const f = parseOrderNumberFormat(pattern);
  if (typeof f === 'string') throw new Error(`${pattern}: ${f}`);
  return f;
}

export async function run(): Promise<void> {
  if (!existsSync(BITEXT)) {
    console.log(`skipped: ${BITEXT} not found`);
    return;
  }
  const rows = parseCsvObjects(readFileSync(BITEXT, 'utf8').replace(/^\ufeff/, ''));
  const random = seededRandom(SEED);
  const make = makers(random);
  const filled: Filled[] = [];
  const raw: string[] = [];
  for (const r of rows) {
    const text = r['utterance'] ?? '';
    raw.push(text);
    const slot = slotOf(r['intent'] ?? '', random);
    if (!slot) continue;
    const v = slot === 'order_number' ? make.order() : slot === 'invoice_number' ? make.invoice() : slot === 'phone' ? make.phone() : slot === 'email' ? make.email() : slot === 'country' ? make.country() : make.city();
    filled.push(fill(text, slot, v, random, make.pick));
  }

  const configs: Array<[string, EntityExtractor]> = [
    ['ORDER_NUMBER_PATTERN=SA\\d{6},\\d{8,20}', new EntityExtractor({ orderNumbers: format('SA\\d{6},\\d{8,20}') })],
    ['baseline: default SA\\d{6}', new EntityExtractor()],
  ];
  const load0 = loadavg();
  const measured: Array<[string, Measured]> = [];
  for (const [name, extractor] of configs) measured.push([name, await measure(extractor, filled, raw)]);
  // CPU time (not wall time: the machine is shared), the configurations taking turns over 5 rounds
  // after a warm-up, the median round per configuration: the first pass of a process is always slower.
  const texts = [...filled.map((f) => f.text), ...raw];
  const rounds: number[][] = configs.map(() => []);
  for (let r = 0; r < 6; r++) {
    for (const [i, [, extractor]] of configs.entries()) {
      const c0 = process.cpuUsage();
      for (const t of texts) await extractor.extract(t, { now: NOW, locale: 'en' });
      const c = process.cpuUsage(c0);
      if (r > 0) rounds[i]!.push((c.user + c.system) / texts.length);
    }
  }
  measured.forEach(([, m], i) => {
    const xs = rounds[i]!.sort((a, b) => a - b);
    m.cpuUsPerUtterance = xs[Math.floor(xs.length / 2)]!;
  });
  const load1 = loadavg();

  console.log(`Bitext 8k (English only): ${raw.length} utterances; ${filled.length} filled with a value (seed ${SEED}); the value sits by its noun in ${filled.filter((f) => !f.detached).length}, after the sentence in ${filled.filter((f) => f.detached).length}.`);
  console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${load1.map((x) => x.toFixed(2)).join(' ')} after (2 shared cores).\n`);

  const readAs = (t: Tally | undefined) =>
    t ? [...t.readAs.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '-' : '-';
  console.log('Recall per type (right type and value at the value\'s place); what the misses were read as:');
  console.table(
    TYPES.flatMap((type) =>
      measured.map(([name, m]) => {
        const t = m.byType.get(type);
        const d = m.detached.get(type);
        return {
          type,
          config: name,
          n: t?.total ?? 0,
          recall: pct((t?.hit ?? 0) / (t?.total ?? 0)),
          'recall, after the sentence': pct((d?.hit ?? 0) / (d?.total ?? 0)),
          'right type, other value': t?.wrongValue ?? 0,
          'misses read as': readAs(t),
        };
      }),
    ),
  );

  console.log('Recall per format:');
  const kinds = [...new Set(measured.flatMap(([, m]) => [...m.byKind.keys()]))].sort();
  console.table(
    kinds.map((k) => {
      const row: Record<string, string | number> = { format: k, n: measured[0]![1].byKind.get(k)?.total ?? 0 };
      for (const [name, m] of measured) {
        const t = m.byKind.get(k);
        row[name] = `${pct((t?.hit ?? 0) / (t?.total ?? 0))}  (${readAs(t)})`;
      }
      return row;
    }),
  );

  console.log('False positives: entities of these types found in the raw utterances (which name none), and in the filled ones away from the value put in:');
  console.table(
    NEVER_IN_RAW.map((type) => {
      const row: Record<string, string | number> = { type };
      for (const [name, m] of measured) {
        row[`${name}: raw`] = m.falseInRaw.get(type) ?? 0;
        row[`${name}: filled`] = m.falseInFilled.get(type) ?? 0;
      }
      const hits = measured[0]![1].byType.get(type as Slot)?.hit;
      if (hits !== undefined) row['precision (filled, new)'] = pct(hits / (hits + (measured[0]![1].falseInFilled.get(type) ?? 0)));
      return row;
    }),
  );
  for (const [name, m] of measured) {
    for (const [type, xs] of m.rawExamples) console.log(`  ${name}, ${type} in raw text, e.g. ${xs.join(' | ')}`);
  }
  console.log(`\nCPU time per utterance (extract, all types, no catalogue; median of 5 alternating rounds over ${texts.length} texts):`);
  const base = measured[measured.length - 1]![1].cpuUsPerUtterance;
  for (const [name, m] of measured) console.log(`  ${name}: ${m.cpuUsPerUtterance.toFixed(1)} µs (${(m.cpuUsPerUtterance / base).toFixed(2)}x the baseline)`);
}
