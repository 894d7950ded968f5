import { resolveLocale } from './i18n.js';
import type { Locale } from './protocol.js';

/** What the embedding `<script>` tag configures. */
export interface WidgetConfig {
  server: string;
  locale: Locale;
  title?: string;
  identityToken?: string;
  accent?: string;
}

/** The widget's own `<script>` element (currentScript, else the tag that loads widget.js). */
export function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  const tags = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]'));
  return tags.find((s) => s.dataset['server'] !== undefined || /\/widget\.js(\?|#|$)/.test(s.src)) ?? null;
}

export function readConfig(script: HTMLScriptElement | null): WidgetConfig {
  const data = script?.dataset ?? {};
  let server = (data['server'] ?? '').trim();
  if (!server) {
    try {
      server = script?.src ? new URL(script.src, location.href).origin : location.origin;
    } catch {
      server = location.origin;
    }
  }
  server = new URL(server, location.href).href.replace(/\/+$/, '');
  const config: WidgetConfig = { server, locale: resolveLocale(data['locale'], navigator.language) };
  const title = data['title']?.trim();
  if (title) config.title = title;
  const identityToken = data['identityToken']?.trim();
  if (identityToken) config.identityToken = identityToken;
  const accent = data['accent']?.trim();
  if (accent && typeof CSS !== 'undefined' && CSS.supports('color', accent)) config.accent = accent;
  return config;
}
