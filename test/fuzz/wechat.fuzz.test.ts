/**
 * Fuzzing of the WeChat inbound paths that read untrusted bytes before anything is
 * authenticated: the XML parser and safe-mode crypto. The only allowed outcomes are a
 * result or a ShopError with a 4xx status (bad_request / unauthorized): never a TypeError,
 * a RangeError or an OpenSSL error escaping as a 500. FUZZ_SEED reproduces a run.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { WeChatCrypto, parseInboundXml, wechatSignature } from '../../channels/wechat/index.js';
import { parseEncryptedEnvelope } from '../../channels/wechat/xml.js';
import { isShopError } from '../../store/index.js';

const SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS'] ?? '1'));
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
let tried = 0;

const OPTS = { token: 'pamtest', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', appId: 'wxb11529c136998cb6' };
const crypto = new WeChatCrypto(OPTS);

/** Runs `f`; a ShopError with a 4xx status is an allowed refusal, anything else thrown fails. */
function refusesCleanly<T>(f: () => T): { ok: true; value: T } | { ok: false } {
  tried++;
  try {
    return { ok: true, value: f() };
  } catch (err) {
    if (!isShopError(err)) throw new Error(`not a ShopError: ${String(err)}`, { cause: err });
    expect(err.status, err.message).toBeGreaterThanOrEqual(400);
    expect(err.status, err.message).toBeLessThan(500);
    return { ok: false };
  }
}

const TAGS = ['xml', 'ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'Event', 'EventKey', 'PicUrl', 'MediaId', 'Format', 'Recognition', 'Location_X', 'Location_Y', 'Scale', 'Label', 'Title', 'Description', 'Url', 'Encrypt', 'ThumbMediaId'];
const MSG_TYPES = ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'event', 'file', ''];
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom(']]>', '<![CDATA[', '&amp;', '&#0;', '&#xD800;', '&lt;', '&unknown;', '123', '-1', '1e400', 'NaN', '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', '&a;&a;&a;'));

/** A tree of WeChat-looking elements, with CDATA or plain text, sometimes broken. */
const element: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
  el: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(fc.constantFrom(...TAGS), text, fc.boolean()).map(([tag, t, cdata]) => `<${tag}>${cdata ? `<![CDATA[${t}]]>` : t}</${tag}>`),
    fc.tuple(fc.constantFrom(...TAGS), fc.array(tie('el'), { maxLength: 4 })).map(([tag, kids]) => `<${tag}>${kids.join('')}</${tag}>`),
    fc.tuple(fc.constantFrom(...TAGS), text).map(([tag, t]) => `<${tag} a="${t}">`),
    text,
  ),
})).el;

/** A well-formed message of a random type with random field values, then mutated (cut, spliced, duplicated). */
const messageXml = fc
  .tuple(
    fc.constantFrom(...MSG_TYPES),
    fc.array(fc.tuple(fc.constantFrom(...TAGS.slice(1)), text), { maxLength: 12 }),
    fc.constantFrom('none', 'cut', 'splice', 'dup', 'bom', 'decl'),
    fc.nat(),
    element,
  )
  .map(([type, fields, mutation, at, extra]) => {
    const body = [
      '<ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName><CreateTime>1700000000</CreateTime>',
      `<MsgType><![CDATA[${type}]]></MsgType>`,
      ...fields.map(([tag, v]) => `<${tag}><![CDATA[${v}]]></${tag}>`),
    ].join('');
    const xml = `<xml>${body}</xml>`;
    const i = at % (xml.length + 1);
    switch (mutation) {
      case 'cut':
        return xml.slice(0, i);
      case 'splice':
        return xml.slice(0, i) + extra + xml.slice(i);
      case 'dup':
        return `<xml>${body}${body}</xml>`;
      case 'bom':
        return `\uFEFF${xml}`;
      case 'decl':
        return `<?xml version="1.0" encoding="utf-8"?><!DOCTYPE xml [<!ENTITY e "${'x'.repeat(100)}">]>${xml.replace('</xml>', '<Content>&e;&e;</Content></xml>')}`;
      default:
        return xml;
    }
  });

afterAll(() => {
  console.log(`wechat fuzz: ${tried} cases (seed ${SEED}; FUZZ_SEED=${SEED} reproduces it)`);
});

describe('WeChat XML fuzz', () => {
  it('parseInboundXml returns a message or refuses with a 4xx ShopError, for mutated messages and random trees', () => {
    fc.assert(
      fc.property(fc.oneof(messageXml, element.map((e) => `<xml>${e}</xml>`), element, fc.string({ maxLength: 300 })), (xml) => {
        const r = refusesCleanly(() => parseInboundXml(xml));
        if (r.ok) {
          expect(typeof r.value.MsgType).toBe('string');
          expect(typeof r.value.FromUserName).toBe('string');
          expect(r.value.CreateTime).toMatch(/^\d+$/);
        }
      }),
      { seed: SEED, numRuns: runs(3000) },
    );
  });

  it('parseEncryptedEnvelope returns the two fields or refuses with a 4xx ShopError', () => {
    fc.assert(
      fc.property(fc.oneof(element.map((e) => `<xml>${e}</xml>`), messageXml, fc.string({ maxLength: 300 })), (xml) => {
        const r = refusesCleanly(() => parseEncryptedEnvelope(xml));
        if (r.ok) expect(typeof r.value.Encrypt).toBe('string');
      }),
      { seed: SEED, numRuns: runs(1500) },
    );
  });

  it('a text message of any unicode content parses back to exactly that content (CDATA, split at "]]>")', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (content) => {
        tried++;
        const safe = content.replace(/]]>/g, ']]]]><![CDATA[>');
        const xml = `<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${safe}]]></Content></xml>`;
        const r = refusesCleanly(() => parseInboundXml(xml));
        // Characters XML forbids (controls) may be refused; whatever parses must be the content itself.
        if (r.ok && r.value.MsgType === 'text') expect(r.value.Content).toBe(content.replace(/\r\n?/g, '\n'));
      }),
      { seed: SEED, numRuns: runs(1000) },
    );
  });
});

describe('WeChat safe-mode crypto fuzz', () => {
  it('encrypt -> verify -> decrypt round-trips random unicode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), fc.stringMatching(/^\d{1,10}$/), fc.stringMatching(/^[a-z0-9]{1,16}$/), (msg, ts, nonce) => {
        tried++;
        const out = crypto.encrypt(msg, ts, nonce);
        expect(crypto.verify(out.msgSignature, ts, nonce, out.encrypt)).toBe(true);
        expect(crypto.decrypt(out.encrypt)).toBe(msg);
      }),
      { seed: SEED, numRuns: runs(500) },
    );
  });

  const valid = crypto.encrypt('<xml><Content><![CDATA[hello 你好]]></Content></xml>', '1', 'n').encrypt;
  const base64ish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.base64String({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('base64')),
    // Whole AES blocks of random bytes: decrypts to garbage padding, lengths and appIds.
    fc.integer({ min: 1, max: 16 }).chain((n) => fc.uint8Array({ minLength: n * 16, maxLength: n * 16 })).map((b) => Buffer.from(b).toString('base64')),
    // The valid ciphertext with one byte flipped, cut or extended.
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'cut', 'extend')).map(([at, x, how]) => {
      const b = Buffer.from(valid, 'base64');
      const i = at % b.length;
      if (how === 'flip') b[i] = b[i]! ^ x;
      if (how === 'cut') return b.subarray(0, i).toString('base64');
      if (how === 'extend') return Buffer.concat([b, Buffer.alloc(16, x)]).toString('base64');
      return b.toString('base64');
    }),
  );

  it('decrypt of random and mutated ciphertexts returns a string or refuses with a 4xx ShopError', () => {
    fc.assert(
      fc.property(base64ish, (encrypt) => {
        const r = refusesCleanly(() => crypto.decrypt(encrypt));
        if (r.ok) expect(typeof r.value).toBe('string');
      }),
      { seed: SEED, numRuns: runs(3000) },
    );
  });

  it('verify of random signatures, timestamps and nonces is false (never a throw) unless the signature is right', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 80 })), fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), base64ish, (sig, ts, nonce, encrypt) => {
        const r = refusesCleanly(() => crypto.verify(sig ?? undefined, ts, nonce, encrypt));
        if (r.ok) expect(r.value).toBe(sig === wechatSignature(OPTS.token, ts, nonce, encrypt));
      }),
      { seed: SEED, numRuns: runs(2000) },
    );
  });
});
