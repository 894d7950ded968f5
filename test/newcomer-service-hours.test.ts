import { describe, expect, it } from 'vitest';
import { loadConfig } from '../app/config.js';
import { HANDOFF_TEXT } from '../bots/handoff/index.js';
import { DEFAULT_SERVICE_HOURS, describeServiceHours, humanContactText, isWithinServiceHours, type ServiceHours } from '../skills/index.js';

/**
 * Service hours are a setting (SERVICE_HOURS), not text in the code (issue 15, point 5): the
 * bot quotes them, and decides with them whether a shopper handed off while no agent is
 * online hears "outside our hours" or "no agent free right now".
 */

const hours = (value: string, zone = 'Asia/Shanghai'): ServiceHours => loadConfig({ SERVICE_HOURS: value, SHOP_TIME_ZONE: zone }, '/nonexistent-dir-for-config').serviceHours;

describe('isWithinServiceHours', () => {
  it('the default is every day 09:00-22:00 Beijing time', () => {
    expect(hours('09:00-22:00')).toEqual(DEFAULT_SERVICE_HOURS);
    expect(isWithinServiceHours(DEFAULT_SERVICE_HOURS, new Date('2026-03-04T01:00:00Z'))).toBe(true); // 09:00 in Beijing
    expect(isWithinServiceHours(DEFAULT_SERVICE_HOURS, new Date('2026-03-04T13:59:00Z'))).toBe(true); // 21:59
    expect(isWithinServiceHours(DEFAULT_SERVICE_HOURS, new Date('2026-03-04T14:00:00Z'))).toBe(false); // 22:00
    expect(isWithinServiceHours(DEFAULT_SERVICE_HOURS, new Date('2026-03-04T00:59:00Z'))).toBe(false); // 08:59
  });

  it('weekdays and several windows, in the zone of the setting (daylight saving included)', () => {
    const berlin = hours('Mon-Fri 09:00-18:00; Sat 10:00-16:00', 'Europe/Berlin');
    // 2026-07-03 is a Friday; Berlin is UTC+2 in July.
    expect(isWithinServiceHours(berlin, new Date('2026-07-03T07:00:00Z'))).toBe(true); // Fri 09:00
    expect(isWithinServiceHours(berlin, new Date('2026-07-03T06:59:00Z'))).toBe(false); // Fri 08:59
    expect(isWithinServiceHours(berlin, new Date('2026-07-04T07:30:00Z'))).toBe(false); // Sat 09:30
    expect(isWithinServiceHours(berlin, new Date('2026-07-04T08:00:00Z'))).toBe(true); // Sat 10:00
    expect(isWithinServiceHours(berlin, new Date('2026-07-05T10:00:00Z'))).toBe(false); // Sun 12:00
    // In January Berlin is UTC+1: the same local hours, another UTC hour.
    expect(isWithinServiceHours(berlin, new Date('2026-01-05T08:00:00Z'))).toBe(true); // Mon 09:00
    expect(isWithinServiceHours(berlin, new Date('2026-01-05T07:59:00Z'))).toBe(false); // Mon 08:59
  });

  it('a window past midnight belongs to the day it opens', () => {
    const nights = hours('Fri 22:00-02:00', 'UTC');
    expect(isWithinServiceHours(nights, new Date('2026-07-03T23:00:00Z'))).toBe(true); // Fri 23:00
    expect(isWithinServiceHours(nights, new Date('2026-07-04T01:59:00Z'))).toBe(true); // Sat 01:59, still Friday's window
    expect(isWithinServiceHours(nights, new Date('2026-07-04T02:00:00Z'))).toBe(false);
    expect(isWithinServiceHours(nights, new Date('2026-07-04T23:00:00Z'))).toBe(false); // Sat 23:00: no Saturday window
    expect(isWithinServiceHours(nights, new Date('2026-07-03T01:00:00Z'))).toBe(false); // Fri 01:00: Thursday had none
  });

  it('24/7 is always open', () => {
    const always = hours('24/7');
    for (const at of ['2026-07-03T00:00:00Z', '2026-07-05T23:59:59Z', '2026-01-01T12:00:00Z']) expect(isWithinServiceHours(always, new Date(at))).toBe(true);
  });
});

describe('what the shopper reads', () => {
  it('quotes the hours in their language and zone', () => {
    expect(describeServiceHours(DEFAULT_SERVICE_HOURS, 'en')).toBe('every day 09:00–22:00 Beijing time');
    expect(describeServiceHours(DEFAULT_SERVICE_HOURS, 'zh')).toBe('每天 09:00–22:00（北京时间）');
    const berlin = hours('Mon-Fri 09:00-18:00; Sat,Sun 10:00-16:00', 'Europe/Berlin');
    expect(describeServiceHours(berlin, 'en')).toBe('Mon–Fri 09:00–18:00; Sat, Sun 10:00–16:00 Central European Time');
    expect(describeServiceHours(berlin, 'zh')).toBe('周一至周五 09:00–18:00，周六、周日 10:00–16:00（中欧时间）');
    expect(describeServiceHours(hours('24/7'), 'en')).toBe('around the clock');
  });

  it('how to reach a person (no console hand-off) uses the setting, and says nothing about "outside hours" when always open', () => {
    const ny = hours('Mon-Fri 08:00-20:00 America/New_York');
    expect(humanContactText('en', ny)).toContain('agents are available Mon–Fri 08:00–20:00 Eastern Time');
    expect(humanContactText('en', ny)).not.toContain('09:00–22:00');
    expect(humanContactText('zh', ny)).toContain('周一至周五 08:00–20:00（北美东部时间）');
    expect(humanContactText('en', hours('24/7'))).toContain('agents are available around the clock');
    expect(humanContactText('en', hours('24/7'))).not.toContain('outside those hours');
    // Without a setting: the default hours.
    expect(humanContactText('en')).toContain('every day 09:00–22:00 Beijing time');
  });

  it('the hand-off notice: with nobody online, "outside our service hours" when closed, "no agent online" when open', () => {
    const h = hours('Mon-Fri 09:00-18:00', 'Europe/Berlin');
    const friday10 = new Date('2026-07-03T08:00:00Z');
    const sunday = new Date('2026-07-05T10:00:00Z');
    expect(HANDOFF_TEXT.queued('en', 2, false, h, friday10)).toBe(
      "I've passed your conversation to our support team. You are number 2 in the queue. No agent is online right now (we are here Mon–Fri 09:00–18:00 Central European Time); your question is in the queue and an agent will reply here as soon as one is back.",
    );
    expect(HANDOFF_TEXT.queued('en', 2, false, h, sunday)).toBe(
      "I've passed your conversation to our support team. You are number 2 in the queue. We are outside our service hours right now (we are here Mon–Fri 09:00–18:00 Central European Time); your question is in the queue and an agent will reply here when we are back.",
    );
    expect(HANDOFF_TEXT.queued('zh', 1, false, h, sunday)).toBe(
      '已为您转接人工客服，您目前排在第 1 位。现在不在人工服务时间内，人工服务时间为周一至周五 09:00–18:00（中欧时间）。您的问题已在排队，客服上班后会在这里回复您。',
    );
    // Someone online: no hours, whatever the clock says.
    expect(HANDOFF_TEXT.queued('en', 1, true, h, sunday)).toBe("I've passed your conversation to our support team. You are number 1 in the queue. An agent will answer you right here.");
  });
});
