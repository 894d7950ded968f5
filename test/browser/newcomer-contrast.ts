import type { Locator } from 'playwright-core';

/** What a text's contrast was computed from, for a readable failure. */
export interface Contrast {
  ratio: number;
  text: string;
  color: string;
  background: string;
}

/**
 * The WCAG contrast ratio of an element's text against what is behind it, from the browser's
 * computed styles: the text colour (its alpha times the opacity of the element and of its
 * ancestors) over the background colours of the element and its ancestors (crossing shadow
 * roots), composited down to an opaque one or the white canvas. Background images are not
 * considered (the texts measured sit on plain colours).
 */
export async function contrastOf(locator: Locator): Promise<Contrast> {
  // A panel fading in is not the colour it settles on: wait for the (finite) animations of the
  // element and its ancestors to end first.
  await locator.evaluate(async (el: Element) => {
    const chain = new Set<Element>();
    for (let n: Element | null = el; n; n = n.parentElement ?? ((n.parentNode as ShadowRoot | null)?.host ?? null)) chain.add(n);
    const running = (el.getRootNode() as Document | ShadowRoot).getAnimations().concat(document.getAnimations());
    const mine = running.filter((a) => {
      const target = (a.effect as KeyframeEffect | null)?.target;
      return !!target && chain.has(target) && Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity);
    });
    await Promise.all(mine.map((a) => a.finished.catch(() => undefined)));
  });
  return locator.evaluate((el: Element) => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (!m) throw new Error(`cannot read the colour ${css}`);
      const p = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const over = (top: Rgba, below: Rgba): Rgba => {
      const a = top[3];
      return [top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1];
    };
    const parentOf = (n: Element): Element | null => n.parentElement ?? ((n.parentNode as ShadowRoot | null)?.host ?? null);
    const chain: Element[] = [];
    for (let n: Element | null = el; n; n = parentOf(n)) chain.push(n);

    let opacity = 1;
    for (const n of chain) opacity *= Number(getComputedStyle(n).opacity);
    const fg = parse(getComputedStyle(el).color);
    fg[3] *= opacity;

    // Background layers from the element outwards, until an opaque one.
    const layers: Rgba[] = [];
    for (const n of chain) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let bg: Rgba = [255, 255, 255, 1];
    for (const layer of layers.reverse()) bg = over(layer, bg);
    const shown = over(fg, bg);

    const lum = (c: Rgba) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2]);
    };
    const [hi, lo] = [lum(shown), lum(bg)].sort((a, b) => b - a) as [number, number];
    const hex = (c: Rgba) => `#${c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
    return { ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100, text: (el.textContent ?? '').trim().slice(0, 60), color: hex(shown), background: hex(bg) };
  });
}
