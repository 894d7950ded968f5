import { h, linkify, svg } from './dom.js';
import { channelName, formatPrice, formatTime, safeUrl } from './format.js';
import type { Strings } from './i18n.js';
import { ICONS } from './icons.js';
import type { ChatItem } from './message-store.js';
import type { CardAction, Locale, ProductCard } from './protocol.js';

export interface RenderContext {
  s: Strings;
  locale: Locale;
  server: string;
  onCardAction(card: ProductCard, action: Extract<CardAction, { value: string }>): void;
  onRetry(item: ChatItem): void;
}

/** Who a message is from, as shown above its group. */
export function senderLabel(item: ChatItem, s: Strings): string {
  if (item.sender === 'customer') return s.you;
  if (item.sender === 'agent') return item.agentName ?? s.agent;
  if (item.sender === 'bot') return s.bot;
  return s.system;
}

/** Consecutive messages from the same sender and channel within 5 minutes form one group. */
export function sameGroup(a: ChatItem, b: ChatItem): boolean {
  return (
    a.sender === b.sender &&
    a.agentName === b.agentName &&
    a.channel === b.channel &&
    !a.notice &&
    !b.notice &&
    a.sender !== 'system' &&
    Math.abs(b.time - a.time) < 5 * 60_000
  );
}

/**
 * One transcript row. Built once per message (the list is an aria-live log: rebuilding a
 * row would read it out again); `updateRow` changes only its visual meta and error line.
 */
export function buildRow(item: ChatItem, ctx: RenderContext): HTMLElement {
  const mine = item.sender === 'customer';
  const row = h('div', { class: `row ${item.sender}${mine ? ' mine' : ''}${item.notice ? ' notice' : ''}`, 'data-key': item.key });
  if (item.sender !== 'system') {
    const icon = item.sender === 'agent' ? ICONS.headset : ICONS.bot;
    row.appendChild(
      h('div', { class: 'label' }, [
        mine ? null : h('span', { class: 'mini' }, [svg(icon)]),
        h('span', {}, [senderLabel(item, ctx.s)]),
        // A person from the shop, not the bot: their name plus a "Support" label.
        item.sender === 'agent' && item.agentName ? h('span', { class: 'role' }, [ctx.s.agent]) : null,
        h('span', { class: 'sr-only' }, [`, ${formatTime(item.time, ctx.locale)}:`]),
      ]),
    );
  }
  if (item.text) {
    const bubble = h('div', { class: 'bubble' });
    bubble.appendChild(linkify(item.text));
    row.appendChild(bubble);
  }
  if (item.cards && item.cards.length > 0) row.appendChild(buildCarousel(item.cards, ctx));
  row.appendChild(h('div', { class: 'meta', 'aria-hidden': 'true' }));
  updateRow(row, item, ctx);
  return row;
}

export function updateRow(row: HTMLElement, item: ChatItem, ctx: RenderContext): void {
  const { s } = ctx;
  for (const st of ['queued', 'sending', 'sent', 'failed']) row.classList.toggle(st, item.status === st);
  const meta = row.querySelector('.meta');
  if (meta) {
    const parts: Node[] = [h('span', {}, [formatTime(item.time, ctx.locale)])];
    if (item.channel !== 'web' && !item.notice) parts.push(h('span', { class: 'tag' }, [s.via(channelName(item.channel, s))]));
    if (item.sender === 'customer' && item.status) {
      const st = item.status;
      const icon = st === 'sent' ? ICONS.check : st === 'failed' ? ICONS.alert : ICONS.clock;
      const text = st === 'sent' ? s.sent : st === 'failed' ? s.failed : st === 'queued' ? s.queued : s.sending;
      parts.push(h('span', { class: `st st-${st}` }, [svg(icon), ` ${text}`]));
    }
    const sig = parts.map((p) => p.textContent).join('|');
    if (meta.getAttribute('data-sig') !== sig) {
      meta.replaceChildren(...parts);
      meta.setAttribute('data-sig', sig);
    }
  }
  // The error line is added (and so announced) when it appears, and removed when resolved.
  const existing = row.querySelector('.err');
  const text = item.error ?? '';
  if (existing && existing.getAttribute('data-text') === text) return;
  existing?.remove();
  if (!text) return;
  const err = h('div', { class: 'err', 'data-text': text }, [svg(ICONS.alert), h('span', {}, [text])]);
  if (item.status === 'failed') {
    const retry = h('button', { type: 'button', class: 'link-btn' }, [s.retry]);
    retry.addEventListener('click', () => ctx.onRetry(item));
    err.appendChild(retry);
  }
  row.appendChild(err);
}

const PLACEHOLDER = ICONS.image;

function cardImage(card: ProductCard, ctx: RenderContext): HTMLElement {
  const box = h('div', { class: 'img' }, [svg(PLACEHOLDER)]);
  const src = safeUrl(card.imageUrl, ctx.server + '/');
  if (src) {
    const img = h('img', { alt: '', loading: 'lazy', decoding: 'async' });
    img.addEventListener('error', () => img.remove());
    img.src = src;
    box.appendChild(img);
  }
  if (card.label) {
    box.appendChild(h('span', { class: `flag ${card.label}` }, [card.label === 'sponsored' ? ctx.s.sponsored : ctx.s.upsell]));
  }
  return box;
}

function buildCard(card: ProductCard, index: number, total: number, ctx: RenderContext): HTMLElement {
  const { s } = ctx;
  const link = safeUrl(card.url, ctx.server + '/');
  const titleId = `c-${Math.random().toString(36).slice(2, 10)}`;
  const title = link
    ? h('a', { class: 'ct', href: link, target: '_blank', rel: 'noopener noreferrer', id: titleId }, [card.title])
    : h('div', { class: 'ct', id: titleId }, [card.title]);
  const body = h('div', { class: 'body' }, [title]);
  if (card.label === 'sponsored') body.appendChild(h('span', { class: 'sr-only' }, [s.sponsored]));
  if (card.subtitle) body.appendChild(h('div', { class: 'sub' }, [card.subtitle]));
  if (card.price !== undefined) body.appendChild(h('div', { class: 'price' }, [formatPrice(card.price, card.currency, ctx.locale)]));
  const actions = card.actions ?? [];
  if (actions.length > 0) {
    const acts = h('div', { class: 'acts' });
    actions.forEach((a, i) => {
      const cls = `btn${i === 0 ? ' primary' : ''}`;
      if ('url' in a) {
        const href = safeUrl(a.url, ctx.server + '/');
        if (!href) return;
        acts.appendChild(h('a', { class: cls, href, target: '_blank', rel: 'noopener noreferrer', 'aria-describedby': titleId }, [a.title, svg(ICONS.external)]));
      } else {
        const b = h('button', { type: 'button', class: cls, 'aria-describedby': titleId }, [a.title]);
        b.addEventListener('click', () => ctx.onCardAction(card, a));
        acts.appendChild(b);
      }
    });
    body.appendChild(acts);
  }
  return h('div', { class: 'card', role: 'group', 'aria-roledescription': 'card', 'aria-label': `${card.title} (${index + 1}/${total})` }, [cardImage(card, ctx), body]);
}

/** A horizontally scrolling row of product cards with previous/next buttons. */
export function buildCarousel(cards: ProductCard[], ctx: RenderContext): HTMLElement {
  const track = h('div', { class: 'track' });
  cards.forEach((c, i) => track.appendChild(buildCard(c, i, cards.length, ctx)));
  const prev = h('button', { type: 'button', class: 'nav prev', 'aria-label': ctx.s.previous }, [svg(ICONS.left)]);
  const next = h('button', { type: 'button', class: 'nav next', 'aria-label': ctx.s.next }, [svg(ICONS.right)]);
  const step = () => Math.max(160, track.clientWidth - 60);
  prev.addEventListener('click', () => track.scrollBy({ left: -step() }));
  next.addEventListener('click', () => track.scrollBy({ left: step() }));
  const update = () => {
    prev.disabled = track.scrollLeft <= 4;
    next.disabled = track.scrollLeft + track.clientWidth >= track.scrollWidth - 4;
  };
  track.addEventListener('scroll', update, { passive: true });
  requestAnimationFrame(update);
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(update).observe(track);
  return h('div', { class: 'carousel', role: 'region', 'aria-label': ctx.s.products }, [prev, track, next]);
}
