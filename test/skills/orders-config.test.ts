/**
 * Issue 15, orders: ORDER_NUMBER_PATTERN as a setting (app/config.ts), and which messages the
 * orders skill takes whatever NLU made of them (an order number named, "when will it arrive?").
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { ordersSkill, type OrderStore } from '../../skills/orders/index.js';
import type { Entity, Turn } from '../../skills/types.js';
import { isShopError } from '../../store/index.js';

const NOW = new Date('2026-12-07T08:00:00Z');

function turn(
  text: string,
  opts: { entities?: Entity[]; intent?: string; confidence?: number; alternatives?: Array<{ intent: string; confidence: number }>; session?: Turn['session'] } = {},
): Turn {
  return {
    text,
    locale: 'en',
    nlu: { intent: opts.intent ?? 'none', confidence: opts.confidence ?? 0.5, entities: opts.entities ?? [], alternatives: opts.alternatives ?? [] },
    memory: {},
    session: opts.session ?? { fallbacks: 0 },
    now: NOW,
  } as unknown as Turn;
}

describe('ORDER_NUMBER_PATTERN and ORDER_NUMBER_EXAMPLE settings', () => {
  it('default to the demo format', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/unused' }, '/tmp').orderNumbers).toEqual({ source: 'SA\\d{6}', example: 'SA100123', prefix: 'SA' });
  });

  it('take a shop format and its example', () => {
    expect(loadConfig({ DATA_DIR: '/tmp/unused', ORDER_NUMBER_PATTERN: '^\\d{10,12}$' }, '/tmp').orderNumbers).toEqual({ source: '\\d{10,12}', example: '1001234567', prefix: '' });
    expect(loadConfig({ DATA_DIR: '/tmp/unused', ORDER_NUMBER_PATTERN: '\\d{10}', ORDER_NUMBER_EXAMPLE: '2024121500' }, '/tmp').orderNumbers.example).toBe('2024121500');
  });

  it.each([
    [{ ORDER_NUMBER_PATTERN: '(\\d+)+' }, /ORDER_NUMBER_PATTERN: repeats a group .* \(got "\(\\\\d\+\)\+"\)/, ['ORDER_NUMBER_PATTERN']],
    [{ ORDER_NUMBER_PATTERN: '\\d{10}', ORDER_NUMBER_EXAMPLE: 'SA100123' }, /ORDER_NUMBER_PATTERN: does not match ORDER_NUMBER_EXAMPLE "SA100123"/, ['ORDER_NUMBER_PATTERN', 'ORDER_NUMBER_EXAMPLE']],
    [{ ORDER_NUMBER_PATTERN: 'SA(\\d{6}' }, /ORDER_NUMBER_PATTERN: has a "\(" without its "\)"/, ['ORDER_NUMBER_PATTERN']],
  ])('a bad setting stops the start with an error that names the variable: %j', (env, message, variables) => {
    try {
      loadConfig({ DATA_DIR: '/tmp/unused', ...env }, '/tmp');
      expect.unreachable(`loadConfig accepted ${JSON.stringify(env)}`);
    } catch (err) {
      expect(isShopError(err, 'config_invalid')).toBe(true);
      expect(String((err as Error).message)).toMatch(message);
      expect((err as { details?: { variables?: string[] } }).details?.variables).toEqual(variables);
    }
  });
});

describe('which messages the orders skill takes whatever NLU made of them', () => {
  const orders = ordersSkill({} as OrderStore);
  const named = (value: string): Entity[] => [{ type: 'order_number', value, text: value, start: 0, end: value.length }];

  it('an order number asks about that order when nothing else is asked ("can you check SA100253 for me" read as thanks)', async () => {
    expect(await orders.followUp!(turn('can you check SA100253 for me', { intent: 'thanks', confidence: 0.47, entities: named('SA100253') }))).toBe(true);
    expect(await orders.followUp!(turn('订单号 202412150001 查一下', { intent: 'out_of_scope', confidence: 0.25, entities: named('202412150001') }))).toBe(true);
    // An unsure order intent is made sure by the number; a sure one is routed as usual.
    expect(await orders.followUp!(turn('can you check SA100253 for me', { intent: 'track_order', confidence: 0.33, entities: named('SA100253') }))).toBe(true);
    expect(await orders.followUp!(turn('where is SA100253', { intent: 'track_order', confidence: 0.99, entities: named('SA100253') }))).toBe(false);
    // A question of its own, sure of itself, keeps its skill; so do complaints and returns.
    expect(await orders.followUp!(turn('what is the return policy for SA100253?', { intent: 'refund_policy', confidence: 0.9, entities: named('SA100253') }))).toBe(false);
    expect(await orders.followUp!(turn('SA100253 is a disgrace', { intent: 'complaint', confidence: 0.3, entities: named('SA100253') }))).toBe(false);
    const rejected = { intent: 'out_of_scope', confidence: 0.04, alternatives: [{ intent: 'return_item', confidence: 0.96 }], entities: named('SA900032') };
    expect(await orders.followUp!(turn('订单SA900032我想退货', rejected))).toBe(false);
  });

  it('"when will it arrive?" follows the order of the conversation, only while there is one', async () => {
    const session: Turn['session'] = { fallbacks: 0, order: { number: 'SA100252', at: NOW.toISOString() } };
    expect(await orders.followUp!(turn('when will it arrive?', { intent: 'delivery_time', confidence: 0.98, session }))).toBe(true);
    expect(await orders.followUp!(turn('那大概啥时候能到？', { intent: 'delivery_time', confidence: 0.96, session }))).toBe(true);
    expect(await orders.followUp!(turn('when will it arrive?', { intent: 'delivery_time', confidence: 0.98 }))).toBe(false);
    expect(await orders.followUp!(turn('when will it arrive? can i pay by card', { intent: 'payment_methods', confidence: 0.9, session }))).toBe(false);
  });
});
