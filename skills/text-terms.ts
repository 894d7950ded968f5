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

/** How shoppers shorten words on a phone, and the word an article uses ("800 pts" -> "800 points", "tees" -> "t-shirts"). A Map: the keys are a shopper's words. */
const SHORTHAND: ReadonlyMap<string, string> = new Map([
  ['pts', 'points'], ['pt', 'point'], ['bday', 'birthday'], ['b-day', 'birthday'], ['addr', 'address'], ['acct', 'account'], ['acc', 'account'],
  ['pwd', 'password'], ['pw', 'password'], ['qty', 'quantity'], ['amt', 'amount'], ['refnd', 'refund'], ['rtn', 'return'], ['exch', 'exchange'],
  ['deliv', 'delivery'], ['pkg', 'package'], ['pkgs', 'packages'], ['w/', 'with'], ['b4', 'before'], ['invc', 'invoice'], ['tee', 't-shirt'], ['tees', 't-shirts'], ['amex', 'american express'],
]);

/** The text with phone shorthand written out, for searching the articles ("can i use 800 pts" finds "Points"). */
export function expandShorthand(text: string): string {
  return text.replace(/(?<![\p{L}\p{N}])(?:[a-z]+(?:-[a-z]+)?\/?|b4)(?![\p{L}\p{N}])/giu, (w) => SHORTHAND.get(w.toLowerCase()) ?? w);
}

