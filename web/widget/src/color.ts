/** Colours derived from the shop's accent so text on it and links in it stay readable. */
export interface AccentColors {
  accent: string;
  onAccent: string;
  /** The accent as a text colour on white (darkened when too light). */
  accentText: string;
  /** A faint tint of the accent, for backgrounds. */
  accentSoft: string;
}

function rgbOf(color: string): [number, number, number] | undefined {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  const v = String(ctx.fillStyle);
  if (v.startsWith('#') && v.length === 7) return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16)];
  const m = /rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const contrast = (a: number, b: number): number => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

export function accentColors(accent: string): AccentColors {
  const rgb = rgbOf(accent) ?? [14, 122, 95];
  const hex = `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  const l = luminance(rgb);
  const onAccent = contrast(l, 1) >= contrast(l, luminance([17, 24, 39])) ? '#ffffff' : '#111827';
  let text = rgb;
  for (let i = 0; i < 10 && contrast(luminance(text), 1) < 4.5; i++) text = [text[0] * 0.85, text[1] * 0.85, text[2] * 0.85].map(Math.round) as [number, number, number];
  return {
    accent: hex,
    onAccent,
    accentText: `rgb(${text.join(',')})`,
    accentSoft: `rgba(${rgb.join(',')},0.1)`,
  };
}
