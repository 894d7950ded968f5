import { describe, expect, it } from 'vitest';
import { EntityExtractor, extractDates, localDay, isoDay } from '../../skills/nlu/entities/index.js';

// 2026-03-10T18:30Z is Tuesday 10 March in UTC but already Wednesday 11 March in Shanghai.
const now = new Date('2026-03-10T18:30:00Z');

function day(text: string, timeZone = 'Asia/Shanghai'): Array<[string, string, string]> {
  return extractDates(text, { now, timeZone }).map((e) => [e.text, e.from, e.to]);
}

describe('dates relative to now in Asia/Shanghai (today = Wed 2026-03-11)', () => {
  it.each([
    ['today', 'today', '2026-03-11', '2026-03-11'],
    ['it came yesterday', 'yesterday', '2026-03-10', '2026-03-10'],
    ['the day before yesterday', 'the day before yesterday', '2026-03-09', '2026-03-09'],
    ['tomorrow', 'tomorrow', '2026-03-12', '2026-03-12'],
    ['last Monday', 'last Monday', '2026-03-02', '2026-03-02'],
    ['this friday', 'this friday', '2026-03-13', '2026-03-13'],
    ['next Sunday', 'next Sunday', '2026-03-22', '2026-03-22'],
    ['last week', 'last week', '2026-03-02', '2026-03-08'],
    ['this month', 'this month', '2026-03-01', '2026-03-31'],
    ['last month', 'last month', '2026-02-01', '2026-02-28'],
    ['3 days ago', '3 days ago', '2026-03-08', '2026-03-08'],
    ['two weeks ago', 'two weeks ago', '2026-02-25', '2026-02-25'],
    ['ordered on March 3', 'March 3', '2026-03-03', '2026-03-03'],
    ['3rd of March', '3rd of March', '2026-03-03', '2026-03-03'],
    ['3 March', '3 March', '2026-03-03', '2026-03-03'],
    ['on 3/3', '3/3', '2026-03-03', '2026-03-03'],
    ['2026-03-03', '2026-03-03', '2026-03-03', '2026-03-03'],
    ['Dec 25', 'Dec 25', '2025-12-25', '2025-12-25'],
    ['paid on the 3rd', 'on the 3rd', '2026-03-03', '2026-03-03'],
    ['it came on the 28th', 'on the 28th', '2026-02-28', '2026-02-28'],
    ['今天', '今天', '2026-03-11', '2026-03-11'],
    ['昨天到的', '昨天', '2026-03-10', '2026-03-10'],
    ['前天', '前天', '2026-03-09', '2026-03-09'],
    ['明天', '明天', '2026-03-12', '2026-03-12'],
    ['后天', '后天', '2026-03-13', '2026-03-13'],
    ['上周五下的单', '上周五', '2026-03-06', '2026-03-06'],
    ['这周三', '这周三', '2026-03-11', '2026-03-11'],
    ['下周一', '下周一', '2026-03-16', '2026-03-16'],
    ['上星期天', '上星期天', '2026-03-08', '2026-03-08'],
    ['上个月', '上个月', '2026-02-01', '2026-02-28'],
    ['3月3日', '3月3日', '2026-03-03', '2026-03-03'],
    ['3月3号买的', '3月3号', '2026-03-03', '2026-03-03'],
    ['三月三号', '三月三号', '2026-03-03', '2026-03-03'],
    ['2026年3月3日', '2026年3月3日', '2026-03-03', '2026-03-03'],
    ['三天前', '三天前', '2026-03-08', '2026-03-08'],
    ['上周', '上周', '2026-03-02', '2026-03-08'],
    ['这周末会下雨吗', '这周末', '2026-03-14', '2026-03-15'],
    ['next weekend', 'next weekend', '2026-03-21', '2026-03-22'],
  ])('%j', (text, span, from, to) => {
    expect(day(text)).toEqual([[span, from, to]]);
  });

  it('UTC and Shanghai disagree on the day at 18:30 UTC', () => {
    expect(day('today', 'UTC')).toEqual([['today', '2026-03-10', '2026-03-10']]);
    expect(day('today')).toEqual([['today', '2026-03-11', '2026-03-11']]);
    expect(day('last week', 'UTC')).toEqual([['last week', '2026-03-02', '2026-03-08']]);
    expect(day('yesterday', 'America/Los_Angeles')).toEqual([['yesterday', '2026-03-09', '2026-03-09']]);
  });

  it('month ends and leap years are calendar arithmetic', () => {
    const at = (iso: string, text: string) => extractDates(text, { now: new Date(iso), timeZone: 'UTC' }).map((e) => [e.from, e.to]);
    expect(at('2024-03-01T12:00:00Z', 'yesterday')).toEqual([['2024-02-29', '2024-02-29']]);
    expect(at('2024-03-15T12:00:00Z', 'last month')).toEqual([['2024-02-01', '2024-02-29']]);
    expect(at('2026-01-05T12:00:00Z', '上个月')).toEqual([['2025-12-01', '2025-12-31']]);
    expect(at('2026-01-05T12:00:00Z', 'Dec 30')).toEqual([['2025-12-30', '2025-12-30']]);
  });

  it.each(['2026-02-30', '13/45', '2月30日', 'sat down', 'I may come', 'mon ami', '3个月', 'the 3rd one', 'the 2nd order'])('%j is no date', (text) => {
    expect(day(text)).toEqual([]);
  });

  it('localDay follows the zone', () => {
    expect(isoDay(localDay(now, 'Asia/Shanghai'))).toBe('2026-03-11');
    expect(isoDay(localDay(now, 'UTC'))).toBe('2026-03-10');
  });

  it('the extractor uses its configured zone', async () => {
    const utc = new EntityExtractor({ timeZone: 'UTC' });
    const shanghai = new EntityExtractor();
    expect((await utc.extract('昨天', { now }))[0]).toMatchObject({ type: 'date', from: '2026-03-09' });
    expect((await shanghai.extract('昨天', { now }))[0]).toMatchObject({ type: 'date', from: '2026-03-10' });
  });
});
