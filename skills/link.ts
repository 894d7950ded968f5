import { MessageFactory } from 'botbuilder-core';
import type { ChannelId, Customer } from '../store/index.js';
import type { Skill } from './types.js';

export type RedeemResult =
  | { ok: true; customer: Customer }
  | { ok: false; reason: 'invalid' | 'expired' | 'same' | 'rate_limited' };

/** One-time link codes: the only way a chat merges two channel accounts. */
export interface AccountLinker {
  issue(customerId: string, channel: ChannelId): Promise<{ code: string; expiresAt: Date }>;
  redeem(code: string, customer: Customer, channel: ChannelId): Promise<RedeemResult>;
}

const TEXT = {
  issued: {
    en: (code: string, mins: number) =>
      `Your link code is ${code}. On your other channel (WeChat, the app or the website chat), send "link ${code}" within ${mins} minutes. Your chats and orders will then be in one place.`,
    zh: (code: string, mins: number) => `您的绑定码是 ${code}。请在 ${mins} 分钟内，在另一个渠道（微信、App 或网站客服）发送"绑定 ${code}"，即可合并聊天记录和订单。`,
  },
  linked: {
    en: 'Done: your accounts are linked. I can now see your history from every channel.',
    zh: '绑定成功！现在我能看到您在各个渠道的记录了。',
  },
  invalid: { en: 'That code is not valid. Codes are 6 digits and work once.', zh: '绑定码无效。绑定码为 6 位数字，且只能使用一次。' },
  expired: { en: 'That code has expired. Send "link" on your other channel to get a new one.', zh: '绑定码已过期。请在另一个渠道发送"绑定"获取新的绑定码。' },
  same: { en: 'This chat is already that account.', zh: '当前账号已经是该账号，无需绑定。' },
  rate_limited: { en: 'Too many tries. Please wait a few minutes and try again.', zh: '尝试次数过多，请几分钟后再试。' },
};

/** "link" issues a code here; "link 482913" redeems one issued on another channel. */
export function linkSkill(linker: AccountLinker, codeMinutes: number): Skill {
  return {
    name: 'link_account',
    intents: ['link_account'],
    canHandle: (turn) => turn.nlu.intent === 'link_account',
    handle: async (turn) => {
      const code = turn.nlu.entities.find((e) => e['type'] === 'link_code')?.['value'];
      const channel = turn.conversation.channel;
      if (typeof code !== 'string') {
        const issued = await linker.issue(turn.customer.id, channel);
        await turn.context.sendActivity(MessageFactory.text(TEXT.issued[turn.locale](issued.code, codeMinutes)));
        return;
      }
      const result = await linker.redeem(code, turn.customer, channel);
      await turn.context.sendActivity(MessageFactory.text(result.ok ? TEXT.linked[turn.locale] : TEXT[result.reason][turn.locale]));
    },
  };
}
