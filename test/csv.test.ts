import { describe, expect, it } from 'vitest';
import { parseCsv, parseCsvObjects } from '../app/csv.js';

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, embedded delimiters and newlines, CRLF and a BOM', () => {
    const text = '\ufeffid,title\r\n1,"Tote, canvas"\r\n2,"He said ""hi"""\n3,"two\nlines"\n';
    expect(parseCsv(text)).toEqual([
      ['id', 'title'],
      ['1', 'Tote, canvas'],
      ['2', 'He said "hi"'],
      ['3', 'two\nlines'],
    ]);
  });

  it('reads TSV and keeps empty fields and a last line without newline', () => {
    expect(parseCsv('a\tb\tc\n1\t\t3', { delimiter: '\t' })).toEqual([
      ['a', 'b', 'c'],
      ['1', '', '3'],
    ]);
  });

  it('names the line of an unclosed quote', () => {
    expect(() => parseCsv('a,b\n1,"oops\n2,3\n')).toThrow(/line 2/);
  });

  it('maps rows to objects by header and rejects a ragged row with its number', () => {
    expect(parseCsvObjects('id,price\nP1,9.5\n')).toEqual([{ id: 'P1', price: '9.5' }]);
    expect(() => parseCsvObjects('id,price\nP1,9.5\nP2\n')).toThrow(/row 3: expected 2 fields, found 1/);
  });
});
