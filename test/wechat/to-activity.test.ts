import { ActivityTypes } from 'botbuilder-core';
import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../channels/wechat/dedupe-key.js';
import { toActivity } from '../../channels/wechat/to-activity.js';
import { parseInboundXml, type WeChatInbound } from '../../channels/wechat/xml.js';

const common = { ToUserName: 'gh_shop', FromUserName: 'oOpenId123', CreateTime: '1700000000' } as const;

describe('dedupeKey', () => {
  it('is the MsgId for messages, and sender + CreateTime + event for events', () => {
    expect(dedupeKey({ ...common, MsgId: '6054768590064713728', MsgType: 'text', Content: 'hi' })).toBe('6054768590064713728');
    expect(dedupeKey({ ...common, MsgType: 'event', Event: 'subscribe' })).toBe('oOpenId123:1700000000:subscribe');
    expect(dedupeKey({ ...common, MsgType: 'event', Event: 'CLICK', EventKey: 'A' })).toBe('oOpenId123:1700000000:CLICK');
  });

  it('is the same for a retried delivery of the same XML', () => {
    const xml = `<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>`;
    expect(dedupeKey(parseInboundXml(xml))).toBe(dedupeKey(parseInboundXml(xml)));
  });
});

describe('toActivity', () => {
  it('a tapped menu link (bizmsgmenuid) is a button click: its content is the value, typed text has none', () => {
    const tapped = parseInboundXml(
      `<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content><![CDATA[wrong_size]]></Content><MsgId>7</MsgId><bizmsgmenuid>2</bizmsgmenuid></xml>`,
    );
    expect(tapped).toMatchObject({ MsgType: 'text', Content: 'wrong_size', bizmsgmenuid: '2' });
    expect(toActivity(tapped)).toMatchObject({ text: 'wrong_size', value: 'wrong_size' });
    const typed = toActivity({ ...common, MsgId: '8', MsgType: 'text', Content: 'wrong_size' });
    expect(typed.value).toBeUndefined();
    expect(() =>
      parseInboundXml(`<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>x</Content><bizmsgmenuid>1; drop</bizmsgmenuid></xml>`),
    ).toThrow(/bizmsgmenuid/);
  });


  it('text: ids, conversation, timestamp, text, raw message in channelData, locale left to the bot', () => {
    const msg: WeChatInbound = { ...common, MsgId: '42', MsgType: 'text', Content: '我的订单在哪里？' };
    const a = toActivity(msg);
    expect(a).toMatchObject({
      type: ActivityTypes.Message,
      channelId: 'wechat',
      id: '42',
      text: '我的订单在哪里？',
      from: { id: 'oOpenId123' },
      recipient: { id: 'gh_shop' },
      conversation: { id: 'wechat:oOpenId123' },
      channelData: { wechat: msg },
    });
    expect(a.timestamp?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(a.locale).toBeUndefined();
    expect(a.channelData).not.toHaveProperty('unionId');
  });

  it('carries a known UnionID', () => {
    const a = toActivity({ ...common, MsgId: '1', MsgType: 'text', Content: 'x' }, { unionId: 'uUnion' });
    expect(a.channelData).toMatchObject({ unionId: 'uUnion' });
  });

  it('voice: the recognised text when there is some, else a placeholder', () => {
    const voice = { ...common, MsgId: '2', MsgType: 'voice', MediaId: 'm', Format: 'amr' } as const;
    expect(toActivity({ ...voice, Recognition: 'where is my parcel' }).text).toBe('where is my parcel');
    expect(toActivity(voice).text).toBe('[voice]');
    expect(toActivity({ ...voice, Recognition: '' }).text).toBe('[voice]');
  });

  it('image, video, shortvideo, link: a placeholder text, the raw data in channelData', () => {
    const image: WeChatInbound = { ...common, MsgId: '3', MsgType: 'image', PicUrl: 'http://mmbiz/p.jpg', MediaId: 'img' };
    const a = toActivity(image);
    expect(a).toMatchObject({ type: 'message', text: '[image]', channelData: { wechat: image } });
    expect(a.attachments?.[0]).toMatchObject({ contentUrl: 'http://mmbiz/p.jpg' });
    expect(toActivity({ ...common, MsgId: '4', MsgType: 'video', MediaId: 'v', ThumbMediaId: 't' }).text).toBe('[video]');
    expect(toActivity({ ...common, MsgId: '5', MsgType: 'shortvideo', MediaId: 'v', ThumbMediaId: 't' }).text).toBe('[shortvideo]');
    const link = toActivity({ ...common, MsgId: '6', MsgType: 'link', Title: 'T', Description: 'D', Url: 'https://shop.example/p/1' });
    expect(link.text).toBe('[link]');
    expect(link.attachments?.[0]).toMatchObject({ contentUrl: 'https://shop.example/p/1', name: 'T' });
  });

  it('location: a message with channelData.location and a GeoCoordinates entity', () => {
    const msg: WeChatInbound = { ...common, MsgId: '7', MsgType: 'location', Location_X: '23.134521', Location_Y: '113.358803', Scale: '20', Label: '广州市天河区' };
    const a = toActivity(msg);
    expect(a.type).toBe(ActivityTypes.Message);
    expect(a.channelData).toEqual({ wechat: msg, location: { lat: 23.134521, lng: 113.358803, label: '广州市天河区' } });
    expect(a.entities).toEqual([{ type: 'GeoCoordinates', latitude: 23.134521, longitude: 113.358803, name: '广州市天河区' }]);
  });

  it('subscribe and unsubscribe: conversationUpdate with the member added or removed', () => {
    const sub = toActivity({ ...common, MsgType: 'event', Event: 'subscribe', EventKey: 'qrscene_9' });
    expect(sub).toMatchObject({ type: ActivityTypes.ConversationUpdate, id: 'oOpenId123:1700000000:subscribe', membersAdded: [{ id: 'oOpenId123' }] });
    expect(sub.membersRemoved).toBeUndefined();
    const unsub = toActivity({ ...common, MsgType: 'event', Event: 'unsubscribe' });
    expect(unsub).toMatchObject({ type: ActivityTypes.ConversationUpdate, membersRemoved: [{ id: 'oOpenId123' }] });
    expect(unsub.membersAdded).toBeUndefined();
  });

  it('CLICK: a message whose text is the menu key, with the event as value', () => {
    const a = toActivity({ ...common, MsgType: 'event', Event: 'CLICK', EventKey: 'MENU_ORDERS' });
    expect(a).toMatchObject({ type: ActivityTypes.Message, text: 'MENU_ORDERS', value: { event: 'CLICK', key: 'MENU_ORDERS' } });
  });

  it('VIEW: an event named wechat.view; other events are wechat.<event>', () => {
    expect(toActivity({ ...common, MsgType: 'event', Event: 'VIEW', EventKey: 'https://shop.example/' })).toMatchObject({
      type: ActivityTypes.Event,
      name: 'wechat.view',
      value: { url: 'https://shop.example/' },
    });
    expect(toActivity({ ...common, MsgType: 'event', Event: 'SCAN', EventKey: '123' })).toMatchObject({
      type: ActivityTypes.Event,
      name: 'wechat.scan',
      value: { event: 'SCAN', key: '123' },
    });
  });

  it('an unsupported message type: a message with a placeholder naming it', () => {
    expect(toActivity({ ...common, MsgId: '8', MsgType: 'unsupported', OriginalMsgType: 'file' })).toMatchObject({ type: 'message', text: '[file]' });
  });
});
