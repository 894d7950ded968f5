/**
 * Entry point of widget.js: reads the embedding <script> tag's data attributes, mounts the
 * widget in a shadow root and exposes `window.ShopAssistant` for the shop's own scripts.
 */
import { findScript, readConfig } from './config.js';
import type { Locale } from './protocol.js';
import { Widget } from './widget.js';

export interface ShopAssistantApi {
  open(): void;
  close(): void;
  /** Sends `text` as the shopper; false when it is empty or too long. */
  send(text: string): boolean;
  /** Switches the interface language ('en' or 'zh'). */
  setLocale(locale: Locale): void;
}

declare global {
  interface Window {
    ShopAssistant?: ShopAssistantApi;
  }
}

function boot(): void {
  if (window.ShopAssistant) return; // the script was included twice
  const widget = new Widget(readConfig(findScript()));
  const pending: Array<() => void> = [];
  const run = (fn: () => void) => {
    if (widget.mounted) fn();
    else pending.push(fn);
  };
  window.ShopAssistant = {
    open: () => run(() => widget.open()),
    close: () => run(() => widget.close()),
    send: (text: string) => {
      if (typeof text !== 'string') return false;
      if (widget.mounted) return widget.send(text);
      pending.push(() => widget.send(text));
      return true;
    },
    setLocale: (locale: Locale) => run(() => widget.setLocale(locale === 'zh' ? 'zh' : 'en')),
  };
  const mount = () => {
    widget.mount();
    for (const fn of pending.splice(0)) fn();
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

boot();
