import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ShopError } from '../../store/index.js';

interface WeChatCommon {
  /** The Official Account's original id (gh_...). */
  ToUserName: string;
  /** The sender's OpenID. */
  FromUserName: string;
  /** Seconds since the epoch, kept as the string WeChat sent. */
  CreateTime: string;
  /** 64-bit message id: a string, because it does not fit a JS number. Absent on events. */
  MsgId?: string;
}

export interface WeChatText extends WeChatCommon {
  MsgType: 'text';
  Content: string;
  /**
   * Present when the shopper tapped one of our menu links (a quick reply rendered as a
   * `weixin://bizmsgmenu` link): Content is then the button's value, not words they typed.
   */
  bizmsgmenuid?: string;
}

export interface WeChatImage extends WeChatCommon {
  MsgType: 'image';
  PicUrl: string;
  MediaId: string;
}

export interface WeChatVoice extends WeChatCommon {
  MsgType: 'voice';
  MediaId: string;
  Format: string;
  /** WeChat's speech-to-text, present when the account enabled voice recognition. */
  Recognition?: string;
}

export interface WeChatVideo extends WeChatCommon {
  MsgType: 'video' | 'shortvideo';
  MediaId: string;
  ThumbMediaId: string;
}

export interface WeChatLocation extends WeChatCommon {
  MsgType: 'location';
  /** Latitude, as sent. */
  Location_X: string;
  /** Longitude, as sent. */
  Location_Y: string;
  Scale: string;
  Label: string;
}

export interface WeChatLink extends WeChatCommon {
  MsgType: 'link';
  Title: string;
  Description: string;
  Url: string;
}

/** Event names as WeChat spells them (lower case for follow events, upper case for the rest). */
export type WeChatEventName = 'subscribe' | 'unsubscribe' | 'CLICK' | 'VIEW' | 'SCAN' | 'LOCATION' | (string & Record<never, never>);

export interface WeChatEvent extends WeChatCommon {
  MsgType: 'event';
  Event: WeChatEventName;
  /** Menu key (CLICK), target URL (VIEW), or `qrscene_...` / scene id (subscribe by QR code, SCAN). */
  EventKey?: string;
  Ticket?: string;
  Latitude?: string;
  Longitude?: string;
  Precision?: string;
}

/**
 * A message type this channel does not understand (file, mini-program page, ...). Kept
 * rather than refused: refusing makes WeChat retry and then tell the shopper the account
 * is out of service, while the bot can say what it cannot read.
 */
export interface WeChatUnsupported extends WeChatCommon {
  MsgType: 'unsupported';
  OriginalMsgType: string;
}

/** One inbound message or event, discriminated by `MsgType`. */
export type WeChatInbound =
  | WeChatText
  | WeChatImage
  | WeChatVoice
  | WeChatVideo
  | WeChatLocation
  | WeChatLink
  | WeChatEvent
  | WeChatUnsupported;

/** A safe-mode POST body before decryption. */
export interface WeChatEncryptedEnvelope {
  ToUserName: string;
  Encrypt: string;
}

/** An article of a news (图文) reply or customer-service message. */
export interface WeChatArticle {
  title: string;
  description?: string;
  picUrl?: string;
  url?: string;
}

/** WeChat's documented maximum of articles in one news message. */
export const NEWS_MAX_ARTICLES = 8;

const parser = new XMLParser({
  ignoreAttributes: true,
  // Ids and timestamps stay the strings WeChat sent (MsgId does not fit a double).
  parseTagValue: false,
  // Content keeps the shopper's whitespace; other fields are trimmed below.
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const CDATA_SECTION = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const DTD = /<!(DOCTYPE|ENTITY)/i;

/**
 * The fields under `<xml>`. Rejects, with the reason, anything WeChat would never send: a
 * DTD or entity declaration (outright, so no parser configuration can make XXE or entity
 * expansion possible), malformed XML, or another root element.
 */
function parseRoot(xml: string): Record<string, unknown> {
  if (typeof xml !== 'string' || xml.trim() === '') throw new ShopError('bad_request', 'empty XML body');
  // A shopper may type "<!DOCTYPE" into a message: only look outside CDATA sections.
  if (DTD.test(xml.replace(CDATA_SECTION, ''))) {
    throw new ShopError('bad_request', 'XML with a DOCTYPE or ENTITY declaration is refused');
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new ShopError('bad_request', `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err) {
    throw new ShopError('bad_request', `malformed XML: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isRecord(doc) || Object.keys(doc).length !== 1 || !('xml' in doc)) {
    throw new ShopError('bad_request', 'the root element must be <xml>');
  }
  const root = doc['xml'];
  if (Array.isArray(root)) throw new ShopError('bad_request', 'more than one root element <xml>');
  if (root === '') return {};
  if (!isRecord(root)) throw new ShopError('bad_request', '<xml> holds no fields');
  return root;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads scalar fields, naming the message type and field in every error. */
class Fields {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly what: string,
  ) {}

  optional(name: string, opts: { trim?: boolean } = {}): string | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new ShopError('bad_request', `<${name}> appears more than once in ${this.what}`);
    if (typeof v !== 'string') throw new ShopError('bad_request', `<${name}> in ${this.what} must be text`);
    return opts.trim === false ? v : v.trim();
  }

  required(name: string, opts: { trim?: boolean; allowEmpty?: boolean } = {}): string {
    const v = this.optional(name, opts);
    if (v === undefined || (!opts.allowEmpty && v.trim() === '')) {
      throw new ShopError('bad_request', `missing <${name}> in ${this.what}`);
    }
    return v;
  }

  number(name: string): string {
    const v = this.required(name);
    if (!Number.isFinite(Number(v))) throw new ShopError('bad_request', `<${name}> in ${this.what} must be a number`);
    return v;
  }
}

/** Parses an inbound (plaintext or decrypted) WeChat message or event. */
export function parseInboundXml(xml: string): WeChatInbound {
  const raw = parseRoot(xml);
  const head = new Fields(raw, 'the WeChat message');
  const msgType = head.required('MsgType');
  const f = new Fields(raw, `a WeChat ${msgType} message`);
  const createTime = f.required('CreateTime');
  if (!/^\d+$/.test(createTime)) throw new ShopError('bad_request', '<CreateTime> must be whole seconds');
  const msgId = f.optional('MsgId');
  if (msgId !== undefined && !/^\d+$/.test(msgId)) throw new ShopError('bad_request', '<MsgId> must be a decimal id');
  const common: WeChatCommon = {
    ToUserName: f.required('ToUserName'),
    FromUserName: f.required('FromUserName'),
    CreateTime: createTime,
    ...(msgId ? { MsgId: msgId } : {}),
  };

  switch (msgType) {
    case 'text': {
      const menuId = f.optional('bizmsgmenuid');
      if (menuId !== undefined && !/^\d{1,10}$/.test(menuId)) throw new ShopError('bad_request', '<bizmsgmenuid> must be a number');
      return { ...common, MsgType: 'text', Content: f.required('Content', { trim: false, allowEmpty: true }), ...(menuId !== undefined ? { bizmsgmenuid: menuId } : {}) };
    }
    case 'image':
      return { ...common, MsgType: 'image', PicUrl: f.required('PicUrl'), MediaId: f.required('MediaId') };
    case 'voice': {
      const recognition = f.optional('Recognition');
      return {
        ...common,
        MsgType: 'voice',
        MediaId: f.required('MediaId'),
        Format: f.required('Format'),
        ...(recognition !== undefined ? { Recognition: recognition } : {}),
      };
    }
    case 'video':
    case 'shortvideo':
      return { ...common, MsgType: msgType, MediaId: f.required('MediaId'), ThumbMediaId: f.required('ThumbMediaId') };
    case 'location':
      return {
        ...common,
        MsgType: 'location',
        Location_X: f.number('Location_X'),
        Location_Y: f.number('Location_Y'),
        Scale: f.required('Scale', { allowEmpty: true }),
        Label: f.required('Label', { allowEmpty: true }),
      };
    case 'link':
      return {
        ...common,
        MsgType: 'link',
        Title: f.required('Title', { allowEmpty: true }),
        Description: f.required('Description', { allowEmpty: true }),
        Url: f.required('Url'),
      };
    case 'event': {
      const event: WeChatEvent = { ...common, MsgType: 'event', Event: f.required('Event') };
      for (const name of ['EventKey', 'Ticket', 'Latitude', 'Longitude', 'Precision'] as const) {
        const v = f.optional(name);
        if (v !== undefined) event[name] = v;
      }
      return event;
    }
    default:
      return { ...common, MsgType: 'unsupported', OriginalMsgType: msgType };
  }
}

/** Reads a safe-mode POST body: the account it is for and the ciphertext. */
export function parseEncryptedEnvelope(xml: string): WeChatEncryptedEnvelope {
  const f = new Fields(parseRoot(xml), 'the encrypted WeChat envelope');
  return { ToUserName: f.required('ToUserName'), Encrypt: f.required('Encrypt') };
}

// Characters XML 1.0 forbids even inside CDATA; one of them would void the whole reply.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * A CDATA section holding `value` exactly. `]]>` cannot appear inside one, so it is split
 * across two sections (`]]` ends the first, `>` starts the next).
 */
export function cdata(value: string): string {
  return `<![CDATA[${value.replace(XML_FORBIDDEN, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function createTimeOf(createTime: number | undefined): number {
  const t = createTime ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(t) || t < 0) throw new ShopError('bad_request', 'createTime must be whole seconds');
  return t;
}

/** Passive text reply. `to` is the shopper's OpenID, `from` the account id that received the message. */
export function textReplyXml(r: { to: string; from: string; content: string; createTime?: number }): string {
  return (
    '<xml>' +
    `<ToUserName>${cdata(r.to)}</ToUserName>` +
    `<FromUserName>${cdata(r.from)}</FromUserName>` +
    `<CreateTime>${createTimeOf(r.createTime)}</CreateTime>` +
    `<MsgType>${cdata('text')}</MsgType>` +
    `<Content>${cdata(r.content)}</Content>` +
    '</xml>'
  );
}

/** Passive news (图文) reply: product cards as articles, 1 to {@link NEWS_MAX_ARTICLES}. */
export function newsReplyXml(r: { to: string; from: string; articles: WeChatArticle[]; createTime?: number }): string {
  if (r.articles.length === 0 || r.articles.length > NEWS_MAX_ARTICLES) {
    throw new ShopError('bad_request', `a WeChat news reply holds 1 to ${NEWS_MAX_ARTICLES} articles, not ${r.articles.length}`);
  }
  const items = r.articles
    .map(
      (a) =>
        '<item>' +
        `<Title>${cdata(a.title)}</Title>` +
        `<Description>${cdata(a.description ?? '')}</Description>` +
        `<PicUrl>${cdata(a.picUrl ?? '')}</PicUrl>` +
        `<Url>${cdata(a.url ?? '')}</Url>` +
        '</item>',
    )
    .join('');
  return (
    '<xml>' +
    `<ToUserName>${cdata(r.to)}</ToUserName>` +
    `<FromUserName>${cdata(r.from)}</FromUserName>` +
    `<CreateTime>${createTimeOf(r.createTime)}</CreateTime>` +
    `<MsgType>${cdata('news')}</MsgType>` +
    `<ArticleCount>${r.articles.length}</ArticleCount>` +
    `<Articles>${items}</Articles>` +
    '</xml>'
  );
}
