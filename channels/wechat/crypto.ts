import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes, randomInt } from 'node:crypto';
import { ShopError } from '../../store/index.js';
import { verifySignature, wechatSignature } from './signature.js';
import { cdata } from './xml.js';

export interface WeChatCryptoOptions {
  token: string;
  /** The 43-character EncodingAESKey from the Official Account's server settings. */
  encodingAESKey: string;
  appId: string;
  /** Source of the 16 random prefix bytes; injectable to reproduce WeChat's published samples. */
  randomBytes?: (size: number) => Buffer;
}

/** The fields of an encrypted reply, as they go into the reply envelope. */
export interface EncryptedMessage {
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/** WeChat pads to 32-byte blocks (PKCS#7 with K = 32), not to AES's 16. */
const BLOCK = 32;
const RANDOM_LEN = 16;
const LENGTH_LEN = 4;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}$/;
const DIGITS = /^\d+$/;

/**
 * Safe-mode ("安全模式") message encryption, as WeChat's WXBizMsgCrypt: AES-256-CBC with
 * key = base64(EncodingAESKey + '='), IV = the key's first 16 bytes, no cipher padding but
 * PKCS#7 to 32 bytes, over `16 random bytes | 4-byte big-endian length | message | appId`.
 */
export class WeChatCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly token: string;
  private readonly appId: string;
  private readonly randomBytes: (size: number) => Buffer;

  constructor(opts: WeChatCryptoOptions) {
    if (!opts.token) throw new ShopError('config_invalid', 'WECHAT_TOKEN is required for WeChat message encryption');
    if (!opts.appId) throw new ShopError('config_invalid', 'WECHAT_APP_ID is required for WeChat message encryption');
    if (typeof opts.encodingAESKey !== 'string' || !BASE64_KEY.test(opts.encodingAESKey)) {
      throw new ShopError(
        'config_invalid',
        'WECHAT_ENCODING_AES_KEY must be 43 characters of base64 (letters and digits), as shown in the Official Account settings',
      );
    }
    this.key = Buffer.from(`${opts.encodingAESKey}=`, 'base64');
    if (this.key.length !== 32) {
      throw new ShopError('config_invalid', 'WECHAT_ENCODING_AES_KEY must be 43 characters that decode to a 32-byte key');
    }
    this.iv = this.key.subarray(0, 16);
    this.token = opts.token;
    this.appId = opts.appId;
    this.randomBytes = opts.randomBytes ?? nodeRandomBytes;
  }

  /** Checks `msg_signature` over the Encrypt value of a safe-mode request. */
  verify(msgSignature: string | undefined, timestamp: string, nonce: string, encrypt: string): boolean {
    return verifySignature(msgSignature, this.token, timestamp, nonce, encrypt);
  }

  /** Encrypts a reply and signs it; timestamp and nonce default to now and a random number. */
  encrypt(xml: string, timestamp?: string, nonce?: string): EncryptedMessage {
    const ts = timestamp ?? String(Math.floor(Date.now() / 1000));
    const n = nonce ?? String(randomInt(100_000_000, 2_000_000_000));
    const random = this.randomBytes(RANDOM_LEN);
    if (random.length !== RANDOM_LEN) throw new ShopError('internal', `randomBytes must return ${RANDOM_LEN} bytes`);
    const message = Buffer.from(xml, 'utf8');
    const length = Buffer.alloc(LENGTH_LEN);
    length.writeUInt32BE(message.length, 0);
    const plain = pkcs7Pad(Buffer.concat([random, length, message, Buffer.from(this.appId, 'utf8')]));
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    const encrypt = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    return { encrypt, msgSignature: wechatSignature(this.token, ts, n, encrypt), timestamp: ts, nonce: n };
  }

  /**
   * Decrypts an Encrypt value. Anything that does not come out as a well-formed message for
   * this appId (bad padding, impossible length, another account's appId, invalid UTF-8) was
   * not encrypted by WeChat with our key, and is refused as `unauthorized`.
   */
  decrypt(encrypt: string): string {
    const data = Buffer.from(encrypt, 'base64');
    if (data.length === 0 || data.length % 16 !== 0 || data.toString('base64') !== normaliseBase64(encrypt)) {
      throw new ShopError('bad_request', 'Encrypt is not base64 of whole AES blocks');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(data), decipher.final()]);
    const plain = pkcs7Unpad(padded);
    if (plain.length < RANDOM_LEN + LENGTH_LEN) {
      throw new ShopError('unauthorized', 'encrypted message is too short to hold a WeChat message');
    }
    const msgLen = plain.readUInt32BE(RANDOM_LEN);
    const msgEnd = RANDOM_LEN + LENGTH_LEN + msgLen;
    if (msgEnd > plain.length) {
      throw new ShopError('unauthorized', 'encrypted message length field exceeds the message');
    }
    const appId = plain.subarray(msgEnd);
    if (!appId.equals(Buffer.from(this.appId, 'utf8'))) {
      throw new ShopError('unauthorized', 'encrypted message is for another appId');
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(RANDOM_LEN + LENGTH_LEN, msgEnd));
    } catch (err) {
      throw new ShopError('unauthorized', 'encrypted message is not valid UTF-8', { cause: err });
    }
  }

  /** The `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>` body of a safe-mode reply. */
  encryptedReplyXml(replyXml: string, timestamp: string, nonce: string): string {
    if (!DIGITS.test(timestamp)) throw new ShopError('bad_request', 'timestamp must be a decimal number of seconds');
    const e = this.encrypt(replyXml, timestamp, nonce);
    return (
      '<xml>' +
      `<Encrypt>${cdata(e.encrypt)}</Encrypt>` +
      `<MsgSignature>${cdata(e.msgSignature)}</MsgSignature>` +
      `<TimeStamp>${e.timestamp}</TimeStamp>` +
      `<Nonce>${cdata(e.nonce)}</Nonce>` +
      '</xml>'
    );
  }
}

function pkcs7Pad(buf: Buffer): Buffer {
  const n = BLOCK - (buf.length % BLOCK);
  return Buffer.concat([buf, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(buf: Buffer): Buffer {
  const n = buf[buf.length - 1] ?? 0;
  if (n < 1 || n > BLOCK || n > buf.length) {
    throw new ShopError('unauthorized', 'encrypted message has invalid padding');
  }
  for (let i = buf.length - n; i < buf.length; i++) {
    if (buf[i] !== n) throw new ShopError('unauthorized', 'encrypted message has invalid padding');
  }
  return buf.subarray(0, buf.length - n);
}

/** Base64 as Node would re-encode it: whitespace dropped, padding restored. */
function normaliseBase64(s: string): string {
  const bare = s.replace(/\s+/g, '').replace(/=+$/, '');
  return bare + '='.repeat((4 - (bare.length % 4)) % 4);
}
