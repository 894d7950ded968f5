import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  cdata,
  newsReplyXml,
  NEWS_MAX_ARTICLES,
  parseEncryptedEnvelope,
  parseInboundXml,
  textReplyXml,
  type WeChatArticle,
} from '../../channels/wechat/xml.js';
import { isShopError } from '../../store/index.js';

const HEAD = '<ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[oOpenId123]]></FromUserName><CreateTime>1348831860</CreateTime>';
const wrap = (body: string, head = HEAD): string => `<xml>${head}${body}</xml>`;

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isShopError(err, 'bad_request')) return err.message;
    throw err;
  }
  throw new Error('expected a bad_request ShopError');
}

describe('parseInboundXml: message types', () => {
  it('text, keeping the 64-bit MsgId and CreateTime as the strings sent', () => {
    const msg = parseInboundXml(
      wrap('<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[  where is my order?  ]]></Content><MsgId>6054768590064713728</MsgId>'),
    );
    expect(msg).toEqual({
      ToUserName: 'gh_shop',
      FromUserName: 'oOpenId123',
      CreateTime: '1348831860',
      MsgId: '6054768590064713728',
      MsgType: 'text',
      Content: '  where is my order?  ',
    });
  });

  it('accepts pretty-printed XML with a declaration, and entities outside CDATA', () => {
    const msg = parseInboundXml(`<?xml version="1.0" encoding="UTF-8"?>
<xml>
  <ToUserName>gh_shop</ToUserName>
  <FromUserName>oOpenId123</FromUserName>
  <CreateTime> 1348831860 </CreateTime>
  <MsgType>text</MsgType>
  <Content>a &lt; b &amp; c</Content>
  <MsgId>1</MsgId>
</xml>`);
    expect(msg).toMatchObject({ MsgType: 'text', Content: 'a < b & c', CreateTime: '1348831860', MsgId: '1' });
  });

  it('a CDATA section that looks like a DOCTYPE is just text', () => {
    const msg = parseInboundXml(wrap('<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[<!DOCTYPE html> <!ENTITY x>]]></Content><MsgId>2</MsgId>'));
    expect(msg).toMatchObject({ Content: '<!DOCTYPE html> <!ENTITY x>' });
  });

  it('image', () => {
    expect(parseInboundXml(wrap('<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz/p.jpg]]></PicUrl><MediaId><![CDATA[media_1]]></MediaId><MsgId>3</MsgId>'))).toEqual({
      ToUserName: 'gh_shop',
      FromUserName: 'oOpenId123',
      CreateTime: '1348831860',
      MsgId: '3',
      MsgType: 'image',
      PicUrl: 'http://mmbiz/p.jpg',
      MediaId: 'media_1',
    });
  });

  it('voice with and without Recognition', () => {
    const withText = parseInboundXml(
      wrap('<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[我的订单在哪里]]></Recognition><MsgId>4</MsgId>'),
    );
    expect(withText).toMatchObject({ MsgType: 'voice', MediaId: 'm', Format: 'amr', Recognition: '我的订单在哪里' });
    const without = parseInboundXml(wrap('<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId><Format><![CDATA[speex]]></Format><MsgId>5</MsgId>'));
    expect(without).not.toHaveProperty('Recognition');
  });

  it('video and shortvideo', () => {
    for (const type of ['video', 'shortvideo'] as const) {
      const msg = parseInboundXml(wrap(`<MsgType><![CDATA[${type}]]></MsgType><MediaId><![CDATA[v]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId><MsgId>6</MsgId>`));
      expect(msg).toMatchObject({ MsgType: type, MediaId: 'v', ThumbMediaId: 't' });
    }
  });

  it('location', () => {
    const msg = parseInboundXml(
      wrap('<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><MsgId>7</MsgId>'),
    );
    expect(msg).toMatchObject({ MsgType: 'location', Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: '广州市天河区' });
  });

  it('link', () => {
    const msg = parseInboundXml(
      wrap('<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[A product]]></Title><Description><![CDATA[desc]]></Description><Url><![CDATA[https://shop.example/p/1]]></Url><MsgId>8</MsgId>'),
    );
    expect(msg).toMatchObject({ MsgType: 'link', Title: 'A product', Description: 'desc', Url: 'https://shop.example/p/1' });
  });

  it('events: subscribe (with QR scene), unsubscribe, CLICK, VIEW, SCAN, LOCATION', () => {
    const ev = (body: string) => parseInboundXml(wrap(`<MsgType><![CDATA[event]]></MsgType>${body}`));
    const sub = ev('<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>');
    expect(sub).toEqual({
      ToUserName: 'gh_shop',
      FromUserName: 'oOpenId123',
      CreateTime: '1348831860',
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: 'qrscene_123',
      Ticket: 'TICKET',
    });
    expect(ev('<Event><![CDATA[unsubscribe]]></Event>')).toMatchObject({ Event: 'unsubscribe' });
    expect(ev('<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_ORDERS]]></EventKey>')).toMatchObject({ Event: 'CLICK', EventKey: 'MENU_ORDERS' });
    expect(ev('<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[https://shop.example/]]></EventKey>')).toMatchObject({ Event: 'VIEW', EventKey: 'https://shop.example/' });
    expect(ev('<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey><Ticket><![CDATA[T]]></Ticket>')).toMatchObject({ Event: 'SCAN', EventKey: '123', Ticket: 'T' });
    expect(ev('<Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>')).toMatchObject({
      Event: 'LOCATION',
      Latitude: '23.137466',
      Longitude: '113.352425',
      Precision: '119.385040',
    });
  });

  it('keeps a message type it does not know, ignoring nested elements', () => {
    const msg = parseInboundXml(wrap('<MsgType><![CDATA[file]]></MsgType><Title><![CDATA[a.pdf]]></Title><Extra><A>1</A></Extra><MsgId>9</MsgId>'));
    expect(msg).toMatchObject({ MsgType: 'unsupported', OriginalMsgType: 'file', MsgId: '9' });
  });
});

describe('parseInboundXml: bad input', () => {
  it('refuses a DOCTYPE (XXE) outright', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wrap('<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId>')}`;
    expect(badRequest(() => parseInboundXml(xxe))).toMatch(/DOCTYPE/);
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>${wrap('<MsgType>text</MsgType><Content>&lol2;</Content>')}`;
    expect(badRequest(() => parseInboundXml(laughs))).toMatch(/DOCTYPE/);
    expect(badRequest(() => parseInboundXml(`<!doctype xml>${wrap('<MsgType>text</MsgType><Content>x</Content>')}`))).toMatch(/DOCTYPE/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType><Content>x</Content><!ENTITY a "b">')))).toMatch(/ENTITY/);
  });

  it('refuses malformed XML with the parser’s reason', () => {
    expect(badRequest(() => parseInboundXml('<xml><ToUserName>a</xml>'))).toMatch(/malformed XML: .*ToUserName/);
    expect(badRequest(() => parseInboundXml('{"MsgType":"text"}'))).toMatch(/malformed XML/);
    expect(badRequest(() => parseInboundXml('<xml><a></b></xml>'))).toMatch(/malformed XML/);
    expect(badRequest(() => parseInboundXml(''))).toMatch(/empty/);
    expect(badRequest(() => parseInboundXml('   '))).toMatch(/empty/);
  });

  it('refuses another root element, or more than one', () => {
    expect(badRequest(() => parseInboundXml('<message><MsgType>text</MsgType></message>'))).toMatch(/root element must be <xml>/);
    expect(badRequest(() => parseInboundXml(`${wrap('<MsgType>text</MsgType><Content>x</Content>')}<xml/>`))).toMatch(/root/);
    expect(badRequest(() => parseInboundXml('<xml></xml>'))).toMatch(/MsgType/);
    expect(badRequest(() => parseInboundXml('<xml>just text</xml>'))).toMatch(/no fields/);
  });

  it('names the missing field', () => {
    expect(badRequest(() => parseInboundXml(wrap('<Content>x</Content>')))).toMatch(/missing <MsgType>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType>')))).toMatch(/missing <Content> in a WeChat text message/);
    expect(badRequest(() => parseInboundXml('<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>'))).toMatch(
      /missing <FromUserName>/,
    );
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>image</MsgType><PicUrl>u</PicUrl>')))).toMatch(/missing <MediaId>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>voice</MsgType><MediaId>m</MediaId>')))).toMatch(/missing <Format>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>location</MsgType><Location_X>1</Location_X><Scale>1</Scale><Label>l</Label>')))).toMatch(/missing <Location_Y>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>event</MsgType>')))).toMatch(/missing <Event>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>link</MsgType><Title>t</Title><Description>d</Description>')))).toMatch(/missing <Url>/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>video</MsgType><MediaId>m</MediaId>')))).toMatch(/missing <ThumbMediaId>/);
  });

  it('refuses malformed values', () => {
    const head = (createTime: string) => `<ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>${createTime}</CreateTime>`;
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType><Content>x</Content>', head('yesterday'))))).toMatch(/CreateTime/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType><Content>x</Content><MsgId>12ab</MsgId>')))).toMatch(/MsgId/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>location</MsgType><Location_X>north</Location_X><Location_Y>1</Location_Y><Scale>1</Scale><Label/>')))).toMatch(
      /Location_X.*number/,
    );
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType><Content>a</Content><Content>b</Content>')))).toMatch(/more than once/);
    expect(badRequest(() => parseInboundXml(wrap('<MsgType>text</MsgType><Content><b>x</b></Content>')))).toMatch(/must be text/);
  });
});

describe('parseEncryptedEnvelope', () => {
  it('reads ToUserName and Encrypt', () => {
    expect(parseEncryptedEnvelope('<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><Encrypt><![CDATA[abc+/==]]></Encrypt></xml>')).toEqual({
      ToUserName: 'gh_shop',
      Encrypt: 'abc+/==',
    });
  });

  it('refuses a body without Encrypt, and DTDs', () => {
    expect(badRequest(() => parseEncryptedEnvelope('<xml><ToUserName>gh</ToUserName></xml>'))).toMatch(/missing <Encrypt>/);
    expect(badRequest(() => parseEncryptedEnvelope('<!DOCTYPE x><xml><ToUserName>gh</ToUserName><Encrypt>a</Encrypt></xml>'))).toMatch(/DOCTYPE/);
  });
});

describe('reply builders', () => {
  const parser = new XMLParser({ parseTagValue: false, trimValues: false, isArray: (name) => name === 'item' });

  it('cdata splits "]]>" so the text survives exactly', () => {
    expect(cdata('a]]>b')).toBe('<![CDATA[a]]]]><![CDATA[>b]]>');
    const tricky = 'x]]>y ]]]]> <![CDATA[ & < > ]]>';
    const reply = textReplyXml({ to: 'o1', from: 'gh', content: tricky, createTime: 1700000000 });
    expect((parser.parse(reply) as { xml: { Content: string } }).xml.Content).toBe(tricky);
  });

  it('a text reply parses back as the message it describes', () => {
    const reply = textReplyXml({ to: 'oOpenId123', from: 'gh_shop', content: '您好！\nHello & welcome', createTime: 1700000000 });
    expect(parseInboundXml(reply)).toEqual({
      ToUserName: 'oOpenId123',
      FromUserName: 'gh_shop',
      CreateTime: '1700000000',
      MsgType: 'text',
      Content: '您好！\nHello & welcome',
    });
  });

  it('drops characters XML cannot carry, so the reply stays well-formed', () => {
    const reply = textReplyXml({ to: 'o', from: 'gh', content: 'a\u0000b\u0007c\td', createTime: 1 });
    expect((parser.parse(reply) as { xml: { Content: string } }).xml.Content).toBe('abc\td');
  });

  it('defaults CreateTime to now and refuses a non-integer one', () => {
    const reply = textReplyXml({ to: 'o', from: 'gh', content: 'x' });
    const t = Number((parser.parse(reply) as { xml: { CreateTime: string } }).xml.CreateTime);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    expect(badRequest(() => textReplyXml({ to: 'o', from: 'gh', content: 'x', createTime: 1.5 }))).toMatch(/createTime/);
  });

  it('a news reply carries ArticleCount and each article, in order', () => {
    const articles: WeChatArticle[] = [
      { title: 'Linen shirt', description: '¥199 — in stock', picUrl: 'https://shop.example/i/1.jpg', url: 'https://shop.example/p/1' },
      { title: 'Wool ]]> coat' },
    ];
    const reply = newsReplyXml({ to: 'o1', from: 'gh', articles, createTime: 1700000000 });
    const doc = parser.parse(reply) as {
      xml: { ToUserName: string; FromUserName: string; MsgType: string; ArticleCount: string; Articles: { item: Array<Record<string, string>> } };
    };
    expect(doc.xml).toMatchObject({ ToUserName: 'o1', FromUserName: 'gh', MsgType: 'news', ArticleCount: '2' });
    expect(doc.xml.Articles.item).toEqual([
      { Title: 'Linen shirt', Description: '¥199 — in stock', PicUrl: 'https://shop.example/i/1.jpg', Url: 'https://shop.example/p/1' },
      { Title: 'Wool ]]> coat', Description: '', PicUrl: '', Url: '' },
    ]);
  });

  it(`a news reply holds 1 to ${NEWS_MAX_ARTICLES} articles`, () => {
    const many = Array.from({ length: NEWS_MAX_ARTICLES + 1 }, (_, i) => ({ title: `P${i}` }));
    expect(badRequest(() => newsReplyXml({ to: 'o', from: 'gh', articles: many }))).toMatch(/1 to 8 articles, not 9/);
    expect(badRequest(() => newsReplyXml({ to: 'o', from: 'gh', articles: [] }))).toMatch(/not 0/);
    const eight = parser.parse(newsReplyXml({ to: 'o', from: 'gh', articles: many.slice(0, 8) })) as { xml: { ArticleCount: string; Articles: { item: unknown[] } } };
    expect(eight.xml.ArticleCount).toBe('8');
    expect(eight.xml.Articles.item).toHaveLength(8);
  });
});
