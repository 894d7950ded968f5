import { MessageFactory, type Activity } from 'botbuilder-core';
import type { ChannelId, Customer, Locale } from '../store/index.js';
import { humanOption, message } from './respond.js';
import type { Skill, Turn } from './types.js';

export type RedeemResult =
  | { ok: true; customer: Customer }
  | { ok: false; reason: 'invalid' | 'expired' | 'same' | 'rate_limited' | 'paused' };

/**
 * Who asks for or redeems a code: the turn's customer and conversation, and its context
 * (the linker reads the client IP and the channel account from it, for its guess limits
 * and to tell the code's owner when it is used).
 */
export type LinkParty = Pick<Turn, 'context' | 'customer' | 'conversation' | 'locale'>;

/** One-time link codes: the only way a chat merges two channel accounts. */
export interface AccountLinker {
  /** A new code for the party's customer, as the shopper should type it (`7KQ2-M9XD`). */
  issue(party: LinkParty): Promise<{ code: string; expiresAt: Date }>;
  /** `code` as typed (any case, spaces or dashes, full-width characters). */
  redeem(code: string, party: LinkParty): Promise<RedeemResult>;
}

const TEXT = {
  issued: {
    en: (code: string, mins: number) =>
      `Your link code is ${code}. On your other channel (WeChat, the app or the website chat), send "link ${code}" within ${mins} minutes. Your chats and orders will then be in one place. Keep it to yourself: whoever sends it sees your orders.`,
    zh: (code: string, mins: number) =>
      `您的绑定码是 ${code}。请在 ${mins} 分钟内，在另一个渠道（微信、App 或网站客服）发送"绑定 ${code}"，即可合并聊天记录和订单。请勿把绑定码告诉他人：发送它的人能看到您的订单。`,
  },
  linked: {
    en: 'Done: your accounts are linked. I can now see your history from every channel.',
    zh: '绑定成功！现在我能看到您在各个渠道的记录了。',
  },
  invalid: {
    en: 'That code is not valid. Codes have 8 letters and digits (like 7KQ2-M9XD) and work once.',
    zh: '绑定码无效。绑定码由 8 位字母和数字组成（例如 7KQ2-M9XD），且只能使用一次。',
  },
  expired: { en: 'That code has expired. Send "link" on your other channel to get a new one.', zh: '绑定码已过期。请在另一个渠道发送"绑定"获取新的绑定码。' },
  same: { en: 'This chat is already that account.', zh: '当前账号已经是该账号，无需绑定。' },
  rate_limited: { en: 'Too many tries. Please wait a few minutes and try again.', zh: '尝试次数过多，请几分钟后再试。' },
  paused: {
    en: 'Linking accounts is paused for a moment: too many wrong codes were sent. Please try again in a minute.',
    zh: '由于近期错误的绑定码过多，账号绑定暂时暂停，请一分钟后再试。',
  },
};

const CHANNEL_NAMES: Record<ChannelId, Record<Locale, string>> = {
  web: { en: 'a website chat', zh: '网站客服' },
  wechat: { en: 'a WeChat', zh: '微信' },
  app: { en: 'an app', zh: 'App' },
  botframework: { en: 'another chat app', zh: '其他聊天应用' },
  console: { en: 'another', zh: '其他' },
};

/**
 * What the owner of a code is told on the channel they asked for it when someone uses it:
 * a stolen or guessed code does not go unnoticed. With "talk to a person" as a quick reply.
 */
export function linkedNotice(locale: Locale, linkedChannel: ChannelId): Partial<Activity> {
  const name = CHANNEL_NAMES[linkedChannel][locale];
  const text =
    locale === 'zh'
      ? `您的账号刚刚与${name}账号绑定。如果不是您本人操作，请立即回复"转人工"联系客服。`
      : `Your account was just linked with ${name} account. If this was not you, reply "Talk to a human" right away and our team will help.`;
  return message(locale, text, { quickReplies: [humanOption(locale)] });
}

/** "link" issues a code here; "link 7KQ2-M9XD" redeems one issued on another channel. */
export function linkSkill(linker: AccountLinker, codeMinutes: number): Skill {
  return {
    name: 'link_account',
    intents: ['link_account'],
    canHandle: (turn) => turn.nlu.intent === 'link_account',
    handle: async (turn) => {
      const code = turn.nlu.entities.find((e) => e['type'] === 'link_code')?.['value'];
      if (typeof code !== 'string') {
        const issued = await linker.issue(turn);
        await turn.context.sendActivity(MessageFactory.text(TEXT.issued[turn.locale](issued.code, codeMinutes)));
        return;
      }
      const result = await linker.redeem(code, turn);
      await turn.context.sendActivity(MessageFactory.text(result.ok ? TEXT.linked[turn.locale] : TEXT[result.reason][turn.locale]));
    },
  };
}
