import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_SHOP_DIR, loadDemoShop, parseFrontMatter } from '../app/demo-shop.js';
import { hashPassword, verifyPassword } from '../app/passwords.js';
import { isShopError } from '../store/index.js';

const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** A private copy of the demo shop, changed by `mutate`, so each case breaks exactly one thing. */
async function brokenCopy(mutate: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'demo-shop-'));
  temps.push(dir);
  await cp(DEFAULT_DEMO_SHOP_DIR, dir, { recursive: true });
  await mutate(dir);
  return dir;
}

async function editJson(dir: string, file: string, edit: (data: unknown) => void): Promise<void> {
  const full = path.join(dir, file);
  const data: unknown = JSON.parse(await readFile(full, 'utf8'));
  edit(data);
  await writeFile(full, JSON.stringify(data));
}

/** Narrows JSON to an array of records without `any`. */
function rows(data: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(data)) throw new Error('expected an array');
  return data as Array<Record<string, unknown>>;
}

function row(data: unknown, i: number): Record<string, unknown> {
  const r = rows(data)[i];
  if (!r) throw new Error(`no row ${i}`);
  return r;
}

async function loadError(dir: string): Promise<{ code: string; message: string; file: unknown }> {
  try {
    await loadDemoShop(dir);
  } catch (err) {
    if (!isShopError(err)) throw err;
    return { code: err.code, message: err.message, file: err.details?.file };
  }
  throw new Error('loadDemoShop accepted broken data');
}

describe('loadDemoShop', () => {
  it('loads the committed demo shop with dates as Date and every article in both languages', async () => {
    const shop = await loadDemoShop();
    expect(shop.products).toHaveLength(200);
    expect(shop.customers).toHaveLength(50);
    expect(shop.orders).toHaveLength(300);
    expect(shop.agents).toHaveLength(4);
    expect(shop.campaigns).toHaveLength(5);
    expect(shop.interactions).toHaveLength(2000);
    expect(shop.orders[0]?.placedAt).toBeInstanceOf(Date);
    expect(shop.campaigns[0]?.startsAt).toBeInstanceOf(Date);
    const bySlug = new Map<string, string[]>();
    for (const k of shop.knowledge) bySlug.set(k.slug, [...(bySlug.get(k.slug) ?? []), k.locale]);
    expect(bySlug.size).toBeGreaterThanOrEqual(40);
    for (const locales of bySlug.values()) expect(locales.sort()).toEqual(['en', 'zh']);
    const returnPolicy = shop.knowledge.find((k) => k.slug === 'return-policy' && k.locale === 'en');
    expect(returnPolicy?.source).toBe('data/demo-shop/knowledge/return-policy.en.md');
    expect(returnPolicy?.body.startsWith('# Return policy')).toBe(true);
  });

  it('names the file and field of a value of the wrong type', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'products.json', (data) => {
        row(data, 3).price = 'cheap';
      }),
    );
    const err = await loadError(dir);
    expect(err.code).toBe('config_invalid');
    expect(err.file).toBe('products.json');
    expect(err.message).toContain('products.json');
    expect(err.message).toContain('[3].price');
  });

  it('names a misspelled field', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'customers.json', (data) => {
        const c = row(data, 7);
        c.locael = c.locale;
        delete c.locale;
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toContain('customers.json');
    expect(err.message).toContain('[7].locale');
    expect(err.message).toContain('locael');
  });

  it('rejects an order item that points at an unknown product', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'orders.json', (data) => {
        const items = rows(row(data, 0).items);
        const first = items[0];
        if (first) first.productId = 'P-NOPE-001';
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toContain('orders.json');
    expect(err.message).toContain('[0].items[0].productId');
    expect(err.message).toContain('P-NOPE-001');
  });

  it('rejects an order whose total is not the sum of its items', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'orders.json', (data) => {
        const o = row(data, 5);
        o.total = Number(o.total) + 1;
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toContain('orders.json');
    expect(err.message).toContain('[5].total');
  });

  it('rejects a shipped order without a tracking number', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'orders.json', (data) => {
        const shipped = rows(data).findIndex((o) => o.status === 'shipped');
        delete row(data, shipped).trackingNumber;
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toMatch(/orders\.json: \[\d+\]\.trackingNumber: required for a shipped order/);
  });

  it('rejects a return for an order that does not exist', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'returns.json', (data) => {
        row(data, 2).orderNumber = 'SA999999';
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toContain('returns.json');
    expect(err.message).toContain('[2].orderNumber');
  });

  it('rejects a rating without a value', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'interactions.json', (data) => {
        const i = rows(data).findIndex((x) => x.type === 'rating');
        delete row(data, i).value;
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toMatch(/interactions\.json: \[\d+\]\.value: a rating needs a value/);
  });

  it('names a file that is not valid JSON', async () => {
    const dir = await brokenCopy((d) => writeFile(path.join(d, 'campaigns.json'), '[{"id": "cmp_demo_001",'));
    const err = await loadError(dir);
    expect(err.file).toBe('campaigns.json');
    expect(err.message).toContain('not valid JSON');
  });

  it('names an agent with a bad email', async () => {
    const dir = await brokenCopy((d) =>
      editJson(d, 'agents.json', (data) => {
        if (data === null || typeof data !== 'object' || !('agents' in data)) throw new Error('unexpected agents.json');
        row(data.agents, 1).email = 'not-an-email';
      }),
    );
    const err = await loadError(dir);
    expect(err.message).toContain('agents.json');
    expect(err.message).toContain('agents[1].email');
  });

  it('requires both languages of every knowledge article', async () => {
    const dir = await brokenCopy((d) => unlink(path.join(d, 'knowledge', 'refund-timing.zh.md')));
    const err = await loadError(dir);
    expect(err.file).toBe('knowledge/refund-timing.zh.md');
    expect(err.message).toContain('both en and zh');
  });

  it('names a knowledge file whose front matter lacks a title', async () => {
    const dir = await brokenCopy(async (d) => {
      const file = path.join(d, 'knowledge', 'coupons.en.md');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace(/^title: .*\n/m, ''));
    });
    const err = await loadError(dir);
    expect(err.message).toContain('knowledge/coupons.en.md');
    expect(err.message).toContain('title');
  });

  it('rejects a knowledge file name without a locale', async () => {
    const dir = await brokenCopy((d) =>
      writeFile(path.join(d, 'knowledge', 'gift-cards.md'), '---\ntitle: Gift cards\ncategory: payment\n---\nBody\n'),
    );
    const err = await loadError(dir);
    expect(err.file).toBe('knowledge/gift-cards.md');
  });
});

describe('parseFrontMatter', () => {
  it('reads strings, quoted strings and lists, and returns the body without the fence', () => {
    const { data, body } = parseFrontMatter(
      '---\ntitle: "Shipping: fees"\ncategory: shipping\ntags: [a, \'b c\', 包邮]\n---\n\n# Body\n\ntext\n',
      'x.en.md',
    );
    expect(data).toEqual({ title: 'Shipping: fees', category: 'shipping', tags: ['a', 'b c', '包邮'] });
    expect(body).toBe('# Body\n\ntext');
  });

  it('names the line that is not key: value', () => {
    expect(() => parseFrontMatter('---\ntitle: A\njust text\n---\nbody', 'k/a.en.md')).toThrow(/k\/a\.en\.md: front matter line 3/);
  });

  it('requires the opening and closing fences', () => {
    expect(() => parseFrontMatter('title: A\n', 'a.en.md')).toThrow(/must start with a --- line/);
    expect(() => parseFrontMatter('---\ntitle: A\n', 'a.en.md')).toThrow(/no closing --- line/);
  });
});

describe('passwords', () => {
  it('hashes with scrypt N=16384, r=8, p=1, a 16-byte salt and a 64-byte key', async () => {
    const hash = await hashPassword('demo-agent-lina');
    const parts = hash.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(parts[4] ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5] ?? '', 'base64')).toHaveLength(64);
    expect(hash).not.toContain('demo-agent-lina');
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('correct horse 电池 staple');
    expect(await verifyPassword('correct horse 电池 staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse 电池 stapler', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats malformed or tampered hashes as a failed login', async () => {
    const hash = await hashPassword('pw-123456');
    expect(await verifyPassword('pw-123456', 'pw-123456')).toBe(false);
    expect(await verifyPassword('pw-123456', hash.replace('scrypt$', 'bcrypt$'))).toBe(false);
    expect(await verifyPassword('pw-123456', hash.replace('$16384$', '$1048577$'))).toBe(false);
    expect(await verifyPassword('pw-123456', hash.replace('$16384$', '$16383$'))).toBe(false);
    expect(await verifyPassword('pw-123456', `${hash}$extra`)).toBe(false);
  });
});
