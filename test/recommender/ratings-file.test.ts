import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRatings, parseTimestamp, readItemTexts, readRatingsFile } from '../../recommender/ratings-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sa-ratings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string): string {
  const f = path.join(dir, `r${n++}.txt`);
  writeFileSync(f, text);
  return f;
}

describe('readRatingsFile', () => {
  it('reads CSV with a header, and the MovieLens layout', async () => {
    const r = await readRatingsFile(file('userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n'));
    expect(r).toMatchObject({ header: true, delimiter: ',', skipped: [] });
    expect(r.ratings).toEqual([
      { user: '1', item: '31', rating: 2.5, ts: 1260759144000 },
      { user: '1', item: '1029', rating: 3, ts: 1260759179000 },
    ]);
  });

  it('reads TSV without a header (the MovieLens 100K u.data layout), with or without timestamps', async () => {
    const r = await readRatingsFile(file('196\t242\t3\t881250949\r\n186\t302\t3\r\n'));
    expect(r).toMatchObject({ header: false, delimiter: '\t', skipped: [] });
    expect(r.ratings).toEqual([
      { user: '196', item: '242', rating: 3, ts: 881250949000 },
      { user: '186', item: '302', rating: 3 },
    ]);
  });

  it('reads ids with commas inside quotes and trims cells', async () => {
    const r = parseRatings('user,item,rating\n"Smith, J", sku 1 ,4\n');
    expect(r.ratings).toEqual([{ user: 'Smith, J', item: 'sku 1', rating: 4 }]);
  });

  it('reads timestamps in seconds, milliseconds and ISO dates to the same instant', () => {
    const r = parseRatings(
      ['u,i,r,t', 'a,x,1,1577836800', 'a,y,1,1577836800000', 'a,z,1,2020-01-01', 'b,x,1,2020-01-01T00:00:00Z', 'b,y,1,2020-01-01 08:00:00+08:00', 'b,z,1,2020-01-01T00:00', 'c,x,1,'].join('\n'),
    );
    expect(r.skipped).toEqual([]);
    expect(r.ratings.map((x) => x.ts)).toEqual([1577836800000, 1577836800000, 1577836800000, 1577836800000, 1577836800000, 1577836800000, undefined]);
    expect(parseTimestamp('1577836800.5')).toBe(1577836800500);
  });

  it('reports each bad row with its line and the reason, and skips it', () => {
    const text = [
      'user,item,rating,timestamp', // 1
      'u1,i1,4,964982703', // 2
      'u1,i2', // 3 missing columns
      'u1,i3,NaN,964982703', // 4
      'u1,i4,Infinity', // 5
      ',i5,3', // 6 empty user
      'u1, ,3', // 7 empty item
      'u1,i6,3,2020-02-30', // 8 not a date
      'u1,i7,3,yesterday', // 9
      'u1,i8,0x10', // 10 hex is not a rating
      'u1,i9,,1', // 11 empty rating
      'u1,i10,3,1,extra', // 12 too many columns
      '', // 13 blank: not a row
      'u2,i1,1e0,-5', // 14 negative time
      'u2,i2,5', // 15
    ].join('\n');
    const r = parseRatings(text);
    expect(r.ratings.map((x) => `${x.user}/${x.item}`)).toEqual(['u1/i1', 'u2/i2']);
    expect(r.skipped.map((s) => s.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);
    const reason = (line: number) => r.skipped.find((s) => s.line === line)!.reason;
    expect(reason(3)).toMatch(/found 2 columns/);
    expect(reason(4)).toMatch(/rating "NaN" is not a number/);
    expect(reason(5)).toMatch(/rating "Infinity" is not a number/);
    expect(reason(6)).toBe('empty user id');
    expect(reason(7)).toBe('empty item id');
    expect(reason(8)).toMatch(/not a calendar date/);
    expect(reason(9)).toMatch(/timestamp "yesterday"/);
    expect(reason(12)).toMatch(/at most 4 columns/);
    for (const x of r.ratings) expect(Number.isFinite(x.rating)).toBe(true);
  });

  it('a non-numeric rating on line 1 with a real timestamp is a bad row, not a header', () => {
    const r = parseRatings('1,7,NaN,964982703\n1,8,4,964982703\n');
    expect(r.header).toBe(false);
    expect(r.skipped).toEqual([{ line: 1, reason: 'rating "NaN" is not a number' }]);
  });

  it('with onBadRow stop, fails on the first bad row naming its line', async () => {
    const f = file('user,item,rating\nu1,i1,4\nu1,i2,abc\nu1,i3\n');
    await expect(readRatingsFile(f, { onBadRow: 'stop' })).rejects.toMatchObject({ code: 'bad_request', message: 'line 3: rating "abc" is not a number' });
    await expect(readRatingsFile(f, { onBadRow: 'skip' })).resolves.toMatchObject({ skipped: [{ line: 3 }, { line: 4 }] });
  });

  it('an empty file, a header alone, only bad rows or a missing file are clear errors', async () => {
    await expect(readRatingsFile(file(''))).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/the file is empty/) as unknown });
    await expect(readRatingsFile(file('\n\n'))).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/the file is empty/) as unknown });
    await expect(readRatingsFile(file('user,item,rating\n'))).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/only a header/) as unknown });
    await expect(readRatingsFile(file('user,item,rating\na,b,x\nc,d\n'))).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/no valid ratings: all 2 rows are bad \(line 2: rating "x"/) as unknown,
    });
    await expect(readRatingsFile(path.join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('readItemTexts', () => {
  it('reads id and text columns, with the MovieLens movies.csv header', async () => {
    const f = file('movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,"Jumanji, the game",Fantasy\n3,,\n');
    const texts = await readItemTexts(f, new Set(['1', '2', '3']));
    expect([...texts]).toEqual([
      ['1', 'Toy Story (1995) Adventure|Animation'],
      ['2', 'Jumanji, the game Fantasy'],
    ]);
    // Without a header: the first id is a known item.
    expect((await readItemTexts(file('sku-1\tRed shoes\n'), new Set(['sku-1']))).get('sku-1')).toBe('Red shoes');
    await expect(readItemTexts(file('id,title\n'), new Set(['1']))).rejects.toMatchObject({ code: 'bad_request' });
  });
});
