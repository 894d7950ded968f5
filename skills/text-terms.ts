/** Words a question and a line of text share, in English and Chinese: the unit of every "is this line about what was asked?" decision. */

const STOP = new Set(
  'a an and are as at be by can do does for from have how i if in is it me my of on or our please the to we what when where which who will with would you your 的 了 吗 呢 吧 啊 呀 是 我 你 们 这 那 有 在 和 就 都 也 要 怎么 什么 可以 能 吗'.split(' '),
);

/** The words (EN, crudely stemmed) and character pairs (ZH) a line shares with a question. */
export function terms(text: string): Set<string> {
  const out = new Set<string>();
  // "已经发货了" and the article's "已发货" say the same: one form, so they share "已发".
  const t = text.normalize('NFKC').toLowerCase().replace(/已经/g, '已');
  for (const w of t.match(/[a-z0-9]+/g) ?? []) if (!STOP.has(w) && (w.length > 2 || /\d/.test(w))) out.add(w.replace(/(ies|es|s|ing|ed)$/, ''));
  for (const run of t.match(/\p{Script=Han}+/gu) ?? []) {
    for (let i = 0; i + 1 < run.length; i++) {
      const pair = run.slice(i, i + 2);
      if (!STOP.has(pair)) out.add(pair);
    }
  }
  return out;
}
