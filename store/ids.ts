import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

let lastTime = 0;
let counter = 0;

/**
 * A time-ordered id: 10 base32 chars of milliseconds, 4 of a per-millisecond counter,
 * 6 random. Ids made later in this process sort after earlier ones, so "order by id" is
 * "order by creation"; across processes they sort by millisecond.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastTime) counter += 1;
  else {
    lastTime = now;
    counter = 0;
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let seq = '';
  let c = counter;
  for (let i = 0; i < 4; i++) {
    seq = ALPHABET[c % 32] + seq;
    c = Math.floor(c / 32);
  }
  const rnd = randomBytes(6);
  let tail = '';
  for (const b of rnd) tail += ALPHABET[b % 32];
  return `${prefix}_${time}${seq}${tail}`;
}

/** A fresh eTag for botbuilder state items. */
export function newETag(): string {
  return randomBytes(8).toString('hex');
}
