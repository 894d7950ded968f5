import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAcked, startShopServer, type ShopServer } from './helpers/shop-server.js';

/**
 * SERVICE_HOURS reaches the bot of a real server: a shopper handed off while no agent is
 * online, outside the configured hours, is told the configured hours and that the team is
 * closed (not the hours that used to be written in the code).
 */

const pad = (h: number) => `${String(h).padStart(2, '0')}:00`;
// A one-hour window that starts two hours from now (UTC): the shop is closed for the whole test.
const hour = new Date().getUTCHours();
const opens = pad((hour + 2) % 24);
const closes = pad((hour + 3) % 24);

let shop: ShopServer;
beforeAll(async () => {
  shop = await startShopServer('sa-newcomer-hours-', 'hoursToken1', { EMBEDDINGS_MODEL: 'lexical', HANDOFF_AUTO_ASSIGN: 'false', SERVICE_HOURS: `${opens}-${closes} UTC` });
}, 120_000);
afterAll(async () => {
  await shop?.close();
});

const systemText = (f: { type: string; [k: string]: unknown }) => f.type === 'message' && (f['message'] as { sender: string }).sender === 'system';

describe('SERVICE_HOURS on a running server', () => {
  it('a hand-off outside the hours, with no agent online, quotes the configured hours and says the team is closed (en, zh)', async () => {
    const en = await shop.widget({ locale: 'en' });
    let from = en.frames.length;
    await sendAcked(en, 'I want to talk to a human');
    const notice = await en.waitFor(systemText, { from });
    const text = (notice['message'] as { text: string }).text;
    expect(text).toContain(`We are outside our service hours right now (we are here every day ${opens}–${closes} UTC)`);
    expect(text).not.toContain('09:00–22:00');

    const zh = await shop.widget({ locale: 'zh' });
    from = zh.frames.length;
    await sendAcked(zh, '我要转人工客服');
    const zhNotice = await zh.waitFor(systemText, { from });
    expect((zhNotice['message'] as { text: string }).text).toContain(`现在不在人工服务时间内，人工服务时间为每天 ${opens}–${closes}（UTC）。`);
  });
});
