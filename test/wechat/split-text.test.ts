import { describe, expect, it } from 'vitest';
import { splitText, TEXT_MAX_BYTES } from '../../channels/wechat/split-text.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Splitting may drop whitespace at the cuts, nothing else. */
const squash = (s: string): string => s.replace(/\s+/g, '');

describe('splitText', () => {
  it('leaves text within the limit alone (the limit counts bytes, not characters)', () => {
    expect(splitText('hello')).toEqual(['hello']);
    const zh = '好'.repeat(682); // 2046 bytes
    expect(splitText(zh)).toEqual([zh]);
    expect(splitText('')).toEqual([]);
    expect(splitText('  \n ')).toEqual([]);
  });

  it('splits a long Chinese answer after sentences, each part within 2048 bytes', () => {
    const sentence = '您的订单已经发货，预计三天内送达。';
    const text = sentence.repeat(200); // 3400 characters, 10200 bytes
    const parts = splitText(text);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(TEXT_MAX_BYTES);
      expect(p.endsWith('。')).toBe(true);
    }
    expect(parts.join('')).toBe(text);
  });

  it('prefers a newline, then a sentence end, then a space', () => {
    const para = `${'word '.repeat(30).trim()}.`;
    const text = `${para} ${para}\n${para} ${para}`;
    expect(splitText(text, 400)).toEqual([`${para} ${para}`, `${para} ${para}`]);
    expect(splitText(`${para} ${para} ${para}`, 400)).toEqual([`${para} ${para}`, para]);
    expect(splitText('aaaa bbbb cccc dddd', 10)).toEqual(['aaaa bbbb', 'cccc dddd']);
  });

  it('does not take "3.14" or a URL for a sentence end', () => {
    const parts = splitText(`Pi is 3.14159 and the page is https://shop.example/a.b.c today`, 40);
    for (const p of parts) expect(p).not.toMatch(/^\d|^14|^b\./);
    expect(squash(parts.join(' '))).toBe(squash('Pi is 3.14159 and the page is https://shop.example/a.b.c today'));
  });

  it('cuts hard when there is no boundary, but never inside a character', () => {
    const parts = splitText('a'.repeat(5000));
    expect(parts.map((p) => p.length)).toEqual([2048, 2048, 904]);
    const emoji = '👍🏽'.repeat(700); // 8 bytes per grapheme
    const eParts = splitText(emoji, 100);
    for (const p of eParts) {
      expect(bytes(p)).toBeLessThanOrEqual(100);
      expect(p.length % 4).toBe(0); // whole thumbs with their skin tone
      expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p); // no lone surrogate
    }
    expect(eParts.join('')).toBe(emoji);
  });

  it('keeps every character and respects the limit on random mixed text', () => {
    const alphabet = ['a', 'b', ' ', '\n', '.', '。', '好', '€', '😀', '👨‍👩‍👧', 'é', '!'];
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      let text = '';
      const n = 50 + Math.floor(rnd() * 2000);
      for (let i = 0; i < n; i++) text += alphabet[Math.floor(rnd() * alphabet.length)];
      const max = 32 + Math.floor(rnd() * 300);
      const parts = splitText(text, max);
      for (const p of parts) {
        expect(bytes(p)).toBeLessThanOrEqual(max);
        expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p);
        expect(p).toBe(p.trim());
      }
      expect(squash(parts.join(''))).toBe(squash(text));
    }
  });
});
