/** Constant inline SVG icons (24x24, currentColor). */
const wrap = (body: string, extra = ''): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"${extra}>${body}</svg>`;

export const ICONS = {
  chat: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="28" height="28" fill="currentColor"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.8 3.2 6.4-.2 1.3-.8 2.6-1.8 3.6-.2.2 0 .6.3.6 2 0 3.8-.7 5.2-1.7 1 .3 2 .4 3.1.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3Z"/><circle cx="8" cy="11.8" r="1.3" fill="var(--sa-on-accent, #fff)"/><circle cx="12" cy="11.8" r="1.3" fill="var(--sa-on-accent, #fff)"/><circle cx="16" cy="11.8" r="1.3" fill="var(--sa-on-accent, #fff)"/></svg>`,
  chevronDown: wrap('<path d="m6 9 6 6 6-6"/>'),
  close: wrap('<path d="M18 6 6 18M6 6l12 12"/>'),
  send: wrap('<path d="M5 12h13M12 5l7 7-7 7"/>', ' stroke-width="2.4"'),
  left: wrap('<path d="m15 18-6-6 6-6"/>'),
  right: wrap('<path d="m9 18 6-6-6-6"/>'),
  check: wrap('<path d="M20 6 9 17l-5-5"/>'),
  clock: wrap('<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>'),
  alert: wrap('<circle cx="12" cy="12" r="9"/><path d="M12 8v5M12 16.5v.01"/>'),
  wifiOff: wrap('<path d="M2 8.8a15 15 0 0 1 4.2-2.6M10.7 5.1A15 15 0 0 1 22 8.8M5 12.5a10 10 0 0 1 5.2-2.7M16.8 10.8a10 10 0 0 1 2.2 1.7M8.5 16a5 5 0 0 1 7 0M12 19.5h.01M3 3l18 18"/>'),
  bot: wrap('<rect x="4" y="8" width="16" height="12" rx="4"/><path d="M12 4v4M9 14h.01M15 14h.01"/><circle cx="12" cy="3.5" r="1"/>'),
  headset: wrap('<path d="M4 14v-2a8 8 0 0 1 16 0v2"/><rect x="3" y="14" width="4" height="6" rx="1.5"/><rect x="17" y="14" width="4" height="6" rx="1.5"/><path d="M19 20a3 3 0 0 1-3 2h-3"/>'),
  external: wrap('<path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>'),
  image: wrap('<rect x="3" y="4" width="18" height="16" rx="3"/><circle cx="9" cy="10" r="2"/><path d="m21 16-5-5-9 9"/>', ' stroke-width="1.5"'),
} as const;

export type IconName = keyof typeof ICONS;
