/**
 * Sentiment and anger of one shopper message (English, Chinese, or both mixed), for the
 * hand-off trigger and the agent console. A lexicon with rules, no model: deterministic,
 * offline, a few microseconds a message.
 *
 * How it reads a message:
 * - English: one pass of phrase patterns (threats, repeated demands, "money back", "not
 *   arrived", idioms such as "no complaints" or "can't complain"), then a word lexicon on
 *   the words no phrase took. Negators ("not", "never", "n't" … up to three words back,
 *   same clause) flip and damp a word; boosters ("very", "so", "extremely" …) and an ALL
 *   CAPS word strengthen it; a swear word right before a positive word only boosts it.
 * - Chinese: substrings, no segmentation, longest first. Blockers (特别, 别人, 麻烦, 快递 …)
 *   take the characters they cover so that 别 in 特别 is no negator and 快 in 快递 is not
 *   "fast". A negator (不 没 别 非 未) within two characters before an entry flips it;
 *   boosters (太 非常 特别 真 超 简直 …) right before it strengthen it.
 * - Both: the clause after a contrast ("but", "however", 但是, 可是, 不过) weighs 1.5, the
 *   one before 0.5; "!!" and "??" strengthen whatever the message already says; a shouted
 *   message (mostly capitals) reads as mildly negative; obvious sarcasm ("oh great",
 *   "thanks for nothing", 呵呵, or praise next to a complaint about "another"/"again"/又)
 *   turns the praise negative.
 * The sum of the valences is squashed into -1..1 as VADER does (x / sqrt(x² + α)).
 *
 * `anger` is a clear anger, abuse, threat, swear word or repeated-demand cue that no
 * negator cancels, in a message that is negative overall, or a score at or below -0.85.
 */
import { normalizeText } from './features.js';

/** Logged with every score, so numbers from different lexicon versions are not mixed. */
export const SENTIMENT_VERSION = 'lexicon-2026.11-1';

export interface SentimentResult {
  /** -1 (furious) .. 1 (delighted); 0 is neutral. */
  score: number;
  /** Clear anger, abuse, threats (chargeback, lawyer, 12315, 曝光, 差评) or repeated demands. */
  anger: boolean;
  /** The words and patterns that decided it, for the agent console (e.g. "not happy", "threat: lawyer", "!!!"). */
  cues: string[];
}

export interface SentimentOptions {
  /**
   * The shopper's previous messages in this conversation, oldest first. Asking the same
   * thing for the third time is a repeated demand even when every message is polite.
   */
  previous?: readonly string[];
}

/** What decides `anger` besides the score; `sent` is plain sentiment, `block` only hides characters. */
type Kind = 'sent' | 'anger' | 'abuse' | 'swear' | 'threat' | 'repeat' | 'block';

interface Entry {
  /** Valence, roughly -3 (worst) .. +3 (best). */
  v: number;
  kind: Kind;
}

interface Hit {
  start: number;
  end: number;
  text: string;
  v: number;
  kind: Kind;
  negated: boolean;
  /** Words that changed it (negator, booster), for the cue. */
  prefix: string;
}

const ALPHA = 6;
const MAX_CHARS = 2000;
const NEGATION_FACTOR = -0.6;
/** A negated anger word ("not angry") keeps only a trace of its valence, positive. */
const NEGATED_ANGER_FACTOR = -0.2;
const ANGER_SCORE = -0.85;

// ---------------------------------------------------------------- English

const e = (v: number, kind: Kind = 'sent'): Entry => ({ v, kind });

/**
 * A lexicon is a Map, never a plain object: a shopper's word looked up in `{}` finds
 * `constructor`, `toString` or `__proto__` (issue 14: "constructor" scored NaN).
 */
const table = <T>(entries: Record<string, T>): ReadonlyMap<string, T> => new Map(Object.entries(entries));

/** Single English words (lower case). */
const EN_WORDS: ReadonlyMap<string, Entry> = table({
  // positive
  good: e(1.5), great: e(2.2), excellent: e(2.6), amazing: e(2.6), awesome: e(2.5), fantastic: e(2.6),
  wonderful: e(2.5), perfect: e(2.5), love: e(2.4), loves: e(2.4), loved: e(2.4), loving: e(2), lovely: e(2.2), happy: e(2),
  glad: e(1.8), pleased: e(1.8), satisfied: e(1.8), delighted: e(2.6), thanks: e(1.5), thank: e(1.5), thx: e(1.2),
  ty: e(1), appreciate: e(1.8), appreciated: e(1.8), helpful: e(1.8), nice: e(1.5), fast: e(1), quick: e(0.8),
  quickly: e(0.8), beautiful: e(2), best: e(1.6), brilliant: e(2.5), superb: e(2.6), cool: e(1.2), fine: e(0.6),
  ok: e(0.3), okay: e(0.3), solved: e(1.2), resolved: e(1.2), impressed: e(2), smooth: e(1.2), reliable: e(1.5),
  friendly: e(1.5), sweet: e(1.5), yay: e(2), excited: e(1.8), outstanding: e(2.6), gorgeous: e(2.2),
  fabulous: e(2.5), pleasure: e(1.8), grateful: e(2), enjoy: e(1.5), enjoyed: e(1.5), works: e(0.4), worth: e(1),
  // negative
  bad: e(-1.8), terrible: e(-2.6), horrible: e(-2.6), awful: e(-2.6), worst: e(-3), worse: e(-2), poor: e(-1.8),
  poorly: e(-1.8), disappointed: e(-2.2), disappointing: e(-2.2), disappointment: e(-2.2), unhappy: e(-2),
  dissatisfied: e(-2.2), sad: e(-1.5), upset: e(-2), annoyed: e(-1.8), annoying: e(-1.8), frustrated: e(-2),
  frustrating: e(-2), frustration: e(-2), ridiculous: e(-2.4), useless: e(-2.4), broken: e(-1.5), damaged: e(-1.2),
  defective: e(-1.5), faulty: e(-1.5), broke: e(-1.2), cracked: e(-1.2), torn: e(-1.2), dented: e(-0.8),
  scratched: e(-1), stained: e(-1), leaking: e(-1.2), leaks: e(-1.2), wrong: e(-1), missing: e(-1), late: e(-1), delayed: e(-1), delay: e(-1),
  lost: e(-1), slow: e(-1.2), problem: e(-0.45), problems: e(-0.45), issue: e(-0.35), issues: e(-0.35),
  mad: e(-2), disgusted: e(-2.6), disgusting: e(-2.6), rubbish: e(-2.4), garbage: e(-2.4), junk: e(-2),
  trash: e(-2), sucks: e(-2.5), suck: e(-2.2), sucked: e(-2.2), hate: e(-2.8), hated: e(-2.8), ripoff: e(-2.6),
  waste: e(-1.8), nightmare: e(-2.5), stupid: e(-2.2), rude: e(-2.2), ignored: e(-1.8), ignoring: e(-1.8),
  worried: e(-1), confused: e(-0.6), unfortunately: e(-0.6), seriously: e(-0.8), ugh: e(-1.5), argh: e(-1.5),
  hopeless: e(-2.2), horrendous: e(-2.8), appalling: e(-2.8), dreadful: e(-2.6), shocking: e(-2), shocked: e(-1.5),
  absurd: e(-2.2), insane: e(-1.8), unbelievable: e(-1.5), demand: e(-1.2), immediately: e(-0.6), asap: e(-0.6),
  waiting: e(-0.3), fake: e(-1.2), counterfeit: e(-1.5), crashing: e(-1.2), crashes: e(-1.2), crashed: e(-1.2), hurry: e(-0.6), misleading: e(-2), unreliable: e(-2),
  regret: e(-1.8), fail: e(-1.5), failed: e(-1.5), failure: e(-1.8), mess: e(-1.8), messed: e(-1.8), sloppy: e(-1.8),
  // anger words, abuse, swearing, threats
  angry: e(-2.5, 'anger'), furious: e(-3, 'anger'), livid: e(-3, 'anger'), outraged: e(-3, 'anger'),
  outrageous: e(-2.8, 'anger'), infuriating: e(-3, 'anger'), infuriated: e(-3, 'anger'), enraged: e(-3, 'anger'),
  fuming: e(-2.8, 'anger'), unacceptable: e(-2.6, 'anger'), pissed: e(-2.8, 'anger'),
  scam: e(-3, 'abuse'), scammer: e(-3, 'abuse'), scammers: e(-3, 'abuse'), scamming: e(-3, 'abuse'), fraud: e(-3, 'abuse'),
  fraudulent: e(-3, 'abuse'), fraudsters: e(-3, 'abuse'), thieves: e(-3, 'abuse'), thief: e(-3, 'abuse'),
  liar: e(-3, 'abuse'), liars: e(-3, 'abuse'), lying: e(-2.5, 'abuse'), cheated: e(-2.5, 'abuse'), cheaters: e(-3, 'abuse'),
  crooks: e(-3, 'abuse'), idiot: e(-3, 'abuse'), idiots: e(-3, 'abuse'), moron: e(-3, 'abuse'), morons: e(-3, 'abuse'),
  incompetent: e(-2.8, 'abuse'), pathetic: e(-2.6, 'abuse'), clowns: e(-2.6, 'abuse'), disgrace: e(-2.8, 'abuse'),
  disgraceful: e(-2.8, 'abuse'), shameful: e(-2.5, 'abuse'),
  fuck: e(-3, 'swear'), fucking: e(-2.5, 'swear'), fuckin: e(-2.5, 'swear'), fucked: e(-3, 'swear'), fck: e(-2.5, 'swear'),
  fking: e(-2.5, 'swear'), frigging: e(-1.8, 'swear'), freaking: e(-1.5, 'swear'), shit: e(-2.5, 'swear'), shitty: e(-2.5, 'swear'),
  bullshit: e(-3, 'swear'), crap: e(-2.2, 'swear'), crappy: e(-2.2, 'swear'), damn: e(-1.5, 'swear'), goddamn: e(-2, 'swear'),
  damned: e(-1.5, 'swear'), bloody: e(-1.5, 'swear'), wtf: e(-2.5, 'swear'), ffs: e(-2.5, 'swear'), asshole: e(-3, 'swear'),
  assholes: e(-3, 'swear'), bastard: e(-3, 'swear'), bastards: e(-3, 'swear'), bitch: e(-3, 'swear'), stfu: e(-3, 'swear'),
  chargeback: e(-2.5, 'threat'), lawyer: e(-2.5, 'threat'), lawyers: e(-2.5, 'threat'), attorney: e(-2.5, 'threat'),
  lawsuit: e(-2.5, 'threat'), sue: e(-2.5, 'threat'), suing: e(-2.5, 'threat'), bbb: e(-2.5, 'threat'), ftc: e(-2.5, 'threat'),
  // Wanting to complain is a request, said calmly as often as not: negative, not anger by itself.
  // (Complaints *against* us, to an authority or to a lawyer are threats: see the phrases.)
  complaint: e(-1), complain: e(-1), complaining: e(-1),
  // blockers: words whose neighbours mean something else than they seem
  like: e(0, 'block'),
});

/** Words that flip the next sentiment word (up to three words on, same clause). */
const EN_NEGATORS = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'without', 'hardly', 'barely', 'cannot',
  'dont', 'doesnt', 'didnt', 'isnt', 'wasnt', 'arent', 'werent', 'wont', 'wouldnt', 'cant', 'couldnt', 'shouldnt',
  'havent', 'hasnt', 'hadnt', 'aint', 'nt',
]);

/** Boosters and dampeners of the next sentiment word (one or two words on). */
const EN_BOOSTERS: ReadonlyMap<string, number> = table({
  very: 1.3, so: 1.3, extremely: 1.5, really: 1.25, totally: 1.4, absolutely: 1.4, completely: 1.4, utterly: 1.5,
  super: 1.3, incredibly: 1.5, too: 1.2, such: 1.2, most: 1.2, truly: 1.3, awfully: 1.4, terribly: 1.4, highly: 1.3,
  beyond: 1.3, seriously: 1.3, insanely: 1.4, damn: 1.3, bloody: 1.3, fucking: 1.5, freaking: 1.3,
  slightly: 0.6, somewhat: 0.6, kinda: 0.6, bit: 0.6, little: 0.7, quite: 0.9, fairly: 0.8, pretty: 1.1,
});

/** English phrases, tried before single words; a phrase takes its words (the negator inside "not working" is part of it). */
const EN_PHRASES: ReadonlyArray<readonly [string, Entry]> = [
  // idioms that would read wrongly word by word
  ["no complaints?", e(1.5)],
  ["(?:don'?t|do not|doesn'?t|not) (?:want|need|mean) to (?:file|make|lodge|raise) an? (?:formal )?complaint", e(0)],
  ["(?:can'?t|cannot|can not) complain", e(1.2)],
  ["(?:can'?t|cannot|can not) believe", e(-0.5)],
  ['not (?:only|just)', e(0, 'block')],
  ['nothing works', e(-1.5)],
  ['no problems?', e(0.5)],
  ['no worries', e(0.5)],
  ['not a problem', e(0.5)],
  ['quick question', e(0, 'block')],
  ['best way', e(0, 'block')],
  ['kind of', e(0, 'block')],
  ['a little bit', e(0, 'block')],
  ['thanks? (?:you )?for nothing', e(-2.5)],
  ['thanks? a lot for nothing', e(-2.5)],
  ['yeah,? right', e(-1.5)],
  // threats
  ['charge ?backs?', e(-2.5, 'threat')],
  ['dispute (?:the|this|a) (?:charge|payment|transaction)', e(-2.5, 'threat')],
  ['legal action', e(-2.5, 'threat')],
  ['(?:claim|case|action|complaints?) against (?:you|your|ur)', e(-2.5, 'threat')],
  ['small claims', e(-2.5, 'threat')],
  ['take (?:you|this) to court', e(-2.5, 'threat')],
  ['better business bureau', e(-2.5, 'threat')],
  ['consumer protection', e(-2.5, 'threat')],
  ['trading standards', e(-2.5, 'threat')],
  ['report(?:ing)? (?:you|this|your company|your store|your shop)', e(-2.5, 'threat')],
  ['(?:bad|negative|1|one|zero|0)[ -]stars? reviews?', e(-2.2, 'threat')],
  ['(?:bad|negative|terrible) reviews?', e(-2.2, 'threat')],
  ['(?:1|one|zero|0)[ -]stars?', e(-2.2, 'threat')],
  ['(?:post|share|put) (?:this|it) (?:on|all over) (?:social media|twitter|facebook|instagram|tiktok|reddit)', e(-2.2, 'threat')],
  ['never (?:buy|buying|order|ordering|shop|shopping|use|using) (?:from |with |here |at )?(?:you|this|your)?\\w*(?: again)?', e(-2.2, 'anger')],
  // anger
  ['fed up', e(-2.4, 'anger')],
  // frustration with the answers themselves
  ["(?:that'?s|this is|thats) not what i (?:asked|said|meant)", e(-2.4, 'anger')],
  ["you(?:'re| are) not (?:listening|reading)", e(-2.4, 'anger')],
  ['(?:sick|tired) (?:and tired )?of', e(-2, 'anger')],
  ['had enough', e(-2.4, 'anger')],
  ['enough is enough', e(-2.6, 'anger')],
  ['what the (?:hell|heck|fuck|f)', e(-2.6, 'swear')],
  ['the hell', e(-2, 'swear')],
  ['shame on you', e(-2.8, 'abuse')],
  ['rip ?off', e(-2.6, 'abuse')],
  ['ripped off', e(-2.6, 'abuse')],
  ['(?:what a|is a|complete|total|absolute) joke', e(-2.4)],
  ['are you (?:kidding|joking|serious)', e(-2)],
  ['you(?:\'ve| have)? got to be kidding', e(-2)],
  ['waste of (?:money|time)', e(-2.2)],
  ['not good enough', e(-2)],
  ['not acceptable', e(-2.6, 'anger')],
  // repeated demands
  ['how many (?:more )?times', e(-2.2, 'repeat')],
  ['for the (?:second|third|fourth|fifth|sixth|tenth|hundredth|nth|last|\\d+(?:st|nd|rd|th)) time', e(-2.2, 'repeat')],
  ['(?:asked|told|called|emailed|written|wrote|contacted|messaged|chased)(?: you(?: guys)?)? (?:twice|three times|four times|five times|\\d+ times|several times|multiple times|many times|so many times|again and again|over and over|repeatedly)', e(-2.4, 'repeat')],
  // "this is the third time i'm asking", "3rd time asking", "asking again"
  ['(?:second|third|fourth|fifth|2nd|3rd|4th|5th|6th|7th|8th|9th|10th) time (?:i(?:\'?m|\'?ve| am| have)? |that i(?:\'?m|\'?ve| am| have)? )?(?:ask(?:ed|ing)?|writ(?:e|ing|ten)|messag(?:e|ed|ing)|contact(?:ed|ing)?|chas(?:e|ed|ing)|tell(?:ing)?|told|call(?:ed|ing)?)', e(-2.2, 'repeat')],
  ['asking (?:you )?again', e(-1.5, 'repeat')],
  ['again and again', e(-2, 'repeat')],
  ['over and over', e(-2, 'repeat')],
  ['keep (?:asking|telling|calling|emailing|writing|chasing)', e(-2, 'repeat')],
  ['(?:still|yet) again', e(-1.5, 'repeat')],
  ['repeatedly', e(-1.5, 'repeat')],
  // plain negative facts and demands (not anger)
  ['i want my money back', e(-1.2)],
  ['want my money back', e(-1.2)],
  ['money back', e(0, 'block')],
  ['refund me', e(-0.8)],
  ['right now', e(-0.8)],
  ['still (?:no|not|nothing|waiting|have ?n[o\']?t|has ?n[o\']?t|did ?n[o\']?t|is ?n[o\']?t|are ?n[o\']?t|was ?n[o\']?t|hav(?:e|ing) to)', e(-1.2)],
  ['(?:has|have|did|does|is|was)(?: ?n[o\']?t| not) (?:yet )?(?:arrived|arrive|received|receive|shipped|come|delivered|turned up|shown up|showed up)', e(-1)],
  ['never (?:arrived|received|came|got|delivered|shipped|showed up|turned up)', e(-1.8)],
  ['not (?:yet )?(?:arrived|received|delivered|shipped)', e(-1)],
  ["(?:doesn'?t|don'?t|didn'?t|isn'?t|won'?t|can'?t|not|never|stopped) work(?:ing|s|ed)?", e(-1.2)],
  ['fell apart', e(-1.5)],
  ['no (?:one|body) (?:answers|replies|responded|responds|helps|cares)', e(-2)],
  ['no (?:response|reply|answer|help)', e(-1.2)],
  ['(?:charged|billed|debited|paid)(?: me)? (?:twice|two times|double|three times)', e(-1.2)],
  ['(?:waited|waiting)(?: for)? (?:over |more than |almost |nearly )?(?:a|one|two|three|four|five|six|several|\\d+) (?:days?|weeks?|months?)', e(-1.2)],
  ['never (?:answers?|repl(?:y|ies|ied)|responds?|responded|gets? back|got back|calls? back|called back)', e(-1.8)],
];

/** Contrast words: the clause after weighs 1.5, the one before 0.5. */
const EN_CONTRAST = new Set(['but', 'however']);

/** Sarcasm markers (the praise around them is not meant). */
const SARCASM_EN = /\b(?:oh,? (?:great|wonderful|perfect|brilliant|lovely|fantastic)|just (?:great|perfect|wonderful|brilliant|lovely)|yeah,? right|(?:i )?love (?:it )?(?:when|how))\b/;
/** "Another"/"again": praise next to a complaint about a repeat is sarcastic. */
const AGAIN_EN = /\b(?:another|again|once more|as usual|of course)\b/;

// ---------------------------------------------------------------- Chinese

const ZH_ENTRIES: ReadonlyMap<string, Entry> = table({
  // anger
  生气: e(-2.2, 'anger'), 气死: e(-3, 'anger'), 气人: e(-2.2, 'anger'), 愤怒: e(-2.6, 'anger'), 火大: e(-2.5, 'anger'),
  恼火: e(-2.2, 'anger'), 受够了: e(-2.6, 'anger'), 忍无可忍: e(-3, 'anger'), 过分: e(-2, 'anger'), 岂有此理: e(-2.6, 'anger'),
  // frustration with the answers themselves
  答非所问: e(-2.4, 'anger'), 听不懂人话: e(-2.6, 'anger'), 牛头不对马嘴: e(-2.4, 'anger'),
  烦死: e(-2.4, 'anger'), 凭什么: e(-2, 'anger'), 搞什么: e(-2.2, 'anger'), 什么态度: e(-2.4, 'anger'), 欺人太甚: e(-3, 'anger'), 受不了: e(-2.2, 'anger'),
  // abuse and swearing
  垃圾: e(-2.5, 'abuse'), 骗子: e(-3, 'abuse'), 骗人: e(-2.6, 'abuse'), 欺骗: e(-2.6, 'abuse'), 坑人: e(-2.6, 'abuse'),
  坑爹: e(-2.6, 'abuse'), 黑店: e(-3, 'abuse'), 无良: e(-2.6, 'abuse'), 奸商: e(-3, 'abuse'), 忽悠: e(-2.2, 'abuse'),
  什么破: e(-2.6, 'abuse'), 破玩意: e(-2.6, 'abuse'), 破东西: e(-2.6, 'abuse'), 什么玩意: e(-2.6, 'abuse'), 废物: e(-2.6, 'abuse'),
  有病: e(-2.6, 'abuse'), 混蛋: e(-3, 'abuse'), 王八蛋: e(-3, 'abuse'), 去死: e(-3, 'abuse'), 滚: e(-2.5, 'abuse'),
  傻逼: e(-3, 'swear'), 傻b: e(-3, 'swear'), 妈的: e(-2.6, 'swear'), 他妈: e(-2.6, 'swear'), 卧槽: e(-1.8, 'swear'),
  我操: e(-2.2, 'swear'), 狗屁: e(-2.6, 'swear'), 靠: e(-1.2), 屁: e(-1),
  // threats
  投诉: e(-1), 12315: e(-2.6, 'threat'), 曝光: e(-2.2, 'threat'), 差评: e(-2, 'threat'), 消协: e(-2.6, 'threat'),
  消费者协会: e(-2.6, 'threat'), 工商: e(-2, 'threat'), 律师: e(-2.6, 'threat'), 起诉: e(-2.6, 'threat'), 法院: e(-2.2, 'threat'),
  报警: e(-2.6, 'threat'), 维权: e(-2.2, 'threat'), 举报: e(-2.2, 'threat'), 拒付: e(-2.4, 'threat'), 告你们: e(-2.6, 'threat'),
  // repeated demands
  说了多少次: e(-2.6, 'repeat'), 问了多少次: e(-2.6, 'repeat'), 多少遍: e(-2.2, 'repeat'), 一次又一次: e(-2.2, 'repeat'),
  一遍又一遍: e(-2.2, 'repeat'), 再三: e(-1.8, 'repeat'), 反复: e(-1.2, 'repeat'),
  // negative
  差: e(-1.5), 不合适: e(-1), 太小: e(-1), 太大: e(-1), 偏小: e(-0.6), 偏大: e(-0.6), 延迟: e(-1), 延误: e(-1), 推迟: e(-0.8),
  太差: e(-2.5), 很差: e(-2), 真差: e(-2), 好差: e(-2), 差劲: e(-2.2), 质量差: e(-2), 服务差: e(-2), 态度差: e(-2.2),
  退钱: e(-1.8), 无语: e(-1.8), 一直没: e(-1.5), 还没到: e(-1), 还没收到: e(-1), 还没有到: e(-1), 还没有收到: e(-1),
  还没发货: e(-1), 还没有发货: e(-1), 还没退: e(-1), 还没回复: e(-1.2), 没人回复: e(-1.8), 没人管: e(-2), 没人理: e(-2),
  有没有人管: e(-2), 有没有人理: e(-2), 没有人管: e(-2), 打不通: e(-1.5), 没人接: e(-1.5), 怎么搞的: e(-2), 搞什么鬼: e(-2.4, 'anger'),
  没动静: e(-1.2), 没有动静: e(-1.2), 卡住: e(-0.8), 物流卡: e(-1), 包裹卡: e(-1), 快递卡: e(-1), 一直卡: e(-1.2), 不动了: e(-1),
  怎么回事: e(-1.2), 怎么还没: e(-1.5), 到底: e(-0.45), 怎么这么: e(-1), 失望: e(-2), 不满意: e(-2), 不满: e(-1.8),
  不开心: e(-1.5), 不高兴: e(-1.5), 难用: e(-1.5), 不好用: e(-1.5), 不好: e(-1.2), 没用: e(-1.5), 太慢: e(-1.8), 很慢: e(-1.2),
  慢死了: e(-2.5), 慢: e(-0.8), 太久: e(-1.5), 等了好久: e(-1.5), 等了半天: e(-1.2), 等了好几天: e(-1.5), 坏了: e(-1.2),
  破损: e(-1.2), 损坏: e(-1.2), 破了: e(-1.2), 有问题: e(-0.4), 质量问题: e(-1.2), 出问题: e(-1.2), 假货: e(-2.2),
  发错: e(-1.2), 搞错: e(-1.2), 弄错: e(-1.2), 丢了: e(-1), 丢件: e(-1.2), 不靠谱: e(-2), 离谱: e(-2), 后悔: e(-1.8),
  上当: e(-2.2), 郁闷: e(-1.5), 难过: e(-1.5), 糟糕: e(-2), 糟透: e(-2.6), 恶心: e(-2.5), 烂: e(-2), 烦: e(-1.2),
  麻烦死了: e(-2.2), 赔偿: e(-0.8), 催了: e(-0.8), 快点: e(-0.8), 赶紧: e(-1), 服了: e(-1.5),
  呵呵: e(-1), 重复扣: e(-1.2), 多扣: e(-1.2), 坑: e(-1.5), 太贵: e(-1), 骗: e(-2, 'abuse'), 吐槽: e(-1.2), 不行: e(-1), 不能用: e(-1.5), 用不了: e(-1.5),
  // positive
  谢谢: e(1.5), 感谢: e(1.8), 多谢: e(1.5), 满意: e(2), 喜欢: e(2), 不错: e(1.8), 很好: e(2), 挺好: e(1.8), 真好: e(2),
  太好了: e(2.5), 好评: e(2), 给力: e(2), 棒: e(2.2), 赞: e(2), 完美: e(2.5), 开心: e(2), 高兴: e(2), 超值: e(2), 划算: e(1.5),
  靠谱: e(1.8), 好用: e(1.8), 很快: e(1.5), 速度快: e(1.5), 发货快: e(1.5), 物流快: e(1.5), 爱了: e(2.5), 辛苦了: e(1.5),
  优秀: e(2), 耐心: e(1.5), 贴心: e(2), 没问题: e(0.5), 好看: e(1.8), 漂亮: e(1.8), 舒服: e(1.5), 值得: e(1.5), 惊喜: e(2),
  // blockers: the characters they cover are neither negators nor sentiment
  别人: e(0, 'block'), 区别: e(0, 'block'), 差别: e(0, 'block'), 分别: e(0, 'block'), 级别: e(0, 'block'), 类别: e(0, 'block'),
  告别: e(0, 'block'), 除非: e(0, 'block'), 不同: e(0, 'block'), 不然: e(0, 'block'), 不用: e(0, 'block'), 不要紧: e(0, 'block'),
  不但: e(0, 'block'), 不仅: e(0, 'block'), 不客气: e(0.5), 好的: e(0, 'block'), 你好: e(0, 'block'), 您好: e(0, 'block'),
  好几: e(0, 'block'), 好像: e(0, 'block'), 麻烦: e(0, 'block'), 差不多: e(0, 'block'), 差价: e(0, 'block'), 差额: e(0, 'block'),
  出差: e(0, 'block'), 差距: e(0, 'block'), 相差: e(0, 'block'), 差点: e(0, 'block'),
  时差: e(0, 'block'), 误差: e(0, 'block'), 温差: e(0, 'block'), 差异: e(0, 'block'), 偏差: e(0, 'block'), 落差: e(0, 'block'), 工商银行: e(0, 'block'), 滚动: e(0, 'block'), 滚筒: e(0, 'block'), 操作: e(0, 'block'), 快递: e(0, 'block'),
  慢慢: e(0, 'block'), 靠近: e(0, 'block'), 依靠: e(0, 'block'), 可靠: e(1.2), 是非: e(0, 'block'), 非得: e(0, 'block'),
  没事: e(0.3), 没关系: e(0.3), 破费: e(0, 'block'), 烂漫: e(0, 'block'), 灿烂: e(0, 'block'), 赞助: e(0, 'block'),
  垃圾袋: e(0, 'block'), 垃圾桶: e(0, 'block'), 烦请: e(0, 'block'), 不好意思: e(0, 'block'), 棒球: e(0, 'block'),
  球棒: e(0, 'block'), 冰棒: e(0, 'block'), 棒棒糖: e(0, 'block'), 行不行: e(0, 'block'), 好不好: e(0, 'block'),
  是不是: e(0, 'block'), 有没有: e(0, 'block'), 能不能: e(0, 'block'), 要不要: e(0, 'block'), 对不对: e(0, 'block'),
  可不可以: e(0, 'block'), 不要: e(0, 'block'), 会不会: e(0, 'block'),
});

const ZH_BOOSTERS: ReadonlyMap<string, number> = table({
  太: 1.3, 非常: 1.4, 特别: 1.4, 真: 1.3, 真的: 1.3, 超: 1.3, 超级: 1.4, 简直: 1.4, 很: 1.2, 好: 1.2, 极其: 1.5, 巨: 1.3,
  十分: 1.4, 相当: 1.3, 实在: 1.3, 完全: 1.3, 根本: 1.3, 最: 1.3, 更: 1.2, 这么: 1.2, 那么: 1.2, 有点: 0.7, 有些: 0.7, 稍微: 0.6,
});
const ZH_NEGATORS = new Set(['不', '没', '别', '非', '未']);
const ZH_CONTRAST = ['但是', '可是', '不过', '然而', '但'];
/** Asked N times (问了三次, 催了好几次, 联系了5次) and the Nth time of asking (第三次问). */
/** Waited a week (等了一个星期, 等了半个月, 等了3天); charged twice (扣了我两次钱). */
const ZH_FACTS = /等了(?:快|将近|差不多)?(?:[一两三四五六七八九十几半]+|好几|\d+)个?多?(?:天|周|星期|礼拜|月)|扣了?我?(?:[两二三]|\d)次/g;
const ZH_REPEAT = /(?:问|说|催|联系|找|打|发)了?(?:好几|[两三四五六七八九十几多]+|\d+)(?:次|遍)|第(?:[三四五六七八九十几]|\d+)[次遍](?:问|说|催|联系|找|打|发)/g;
const SARCASM_ZH = /呵呵|真行|好样的|厉害了|谢谢你们哦|真是谢谢/;
const AGAIN_ZH = /又|再次|还是/;
const CONTRAST_ANY = /\b(?:but|however)\b|但是|可是|不过|然而/;

// ---------------------------------------------------------------- compiled patterns

/** Up to two leading letters or digits: the key a phrase is filed under and a word is looked up by. */
function prefixKey(s: string): string {
  const m = /^[a-z0-9]{1,2}/.exec(s);
  return m ? m[0] : '';
}

/**
 * Phrases filed under the first letters of the words they can start with, each a sticky
 * regex tried at the start of a word: one big alternation tried at every position costs
 * ten times more.
 */
const EN_PHRASE_INDEX: Map<string, Array<{ re: RegExp; entry: Entry }>> = (() => {
  const index = new Map<string, Array<{ re: RegExp; entry: Entry }>>();
  for (const [p, entry] of EN_PHRASES) {
    const group = /^\(\?:([^()]*)\)/.exec(p);
    const firsts = group ? group[1]!.split('|') : [p];
    const re = new RegExp(`(?:${p})\\b`, 'y');
    for (const key of new Set(firsts.map(prefixKey))) {
      if (key === '') throw new Error(`sentiment phrase ${p} must start with a letter or digit`);
      index.set(key, [...(index.get(key) ?? []), { re, entry }]);
    }
  }
  return index;
})();

const ZH_KEYS = new Map<string, Entry | number>([...ZH_ENTRIES, ...ZH_BOOSTERS]);
const ZH_MAX_KEY = Math.max(...[...ZH_KEYS.keys()].map((k) => k.length));
const WORD_RE = /[a-z0-9]+(?:'[a-z]+)*/gi;
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const HAS_CJK_OR_DIGIT = /[\u3400-\u9fff\uf900-\ufaff0-9]/;
const CLAUSE_BREAK = new Set([...',.;:!?，。；：！？、\n()（）"“”'].map((c) => c.charCodeAt(0)));
const DIGIT = /\d/;
const SENTENCE_BREAK = /[.!?。！？\n]+/g;

const MAYBE_EMOJI = /[\ud83c-\ud83e\u2600-\u27bf:]/;
const EMOJI: ReadonlyArray<readonly [RegExp, Entry, string]> = [
  [/😡|🤬|😠|👿|🖕/gu, e(-2.5, 'anger'), 'angry emoji'],
  [/😤|😒|🙄|👎|💩/gu, e(-1.5), 'annoyed emoji'],
  [/😭|😢|😞|😔|☹|😩|😫|:-?\(/gu, e(-1.5), 'sad emoji'],
  [/😊|😀|😃|😄|😁|🙂|😍|🥰|❤|👍|👏|🙏|🎉|:-?\)|:D\b/gu, e(1.5), 'happy emoji'],
];

// ---------------------------------------------------------------- scoring

interface Word {
  start: number;
  end: number;
  lower: string;
  caps: boolean;
  clause: number;
  /** Taken by a phrase. */
  taken: boolean;
}

function englishWords(text: string): Word[] {
  const words: Word[] = [];
  let clause = 0;
  let last = 0;
  for (const m of text.matchAll(WORD_RE)) {
    const start = m.index;
    for (let k = last; k < start; k++) {
      if (CLAUSE_BREAK.has(text.charCodeAt(k))) {
        clause++;
        break;
      }
    }
    const raw = m[0];
    const apostrophe = raw.includes("'");
    let lower = raw.toLowerCase();
    if (apostrophe) {
      lower = lower.replace(/'/g, '');
      // "don't" -> "dont"; any other "n't" word is a bare negator.
      if (raw.endsWith("n't") && !EN_NEGATORS.has(lower)) lower = 'nt';
    }
    if (EN_CONTRAST.has(lower)) clause++;
    const caps = raw.length >= 2 && lower !== raw && raw === raw.toUpperCase() && !DIGIT.test(raw);
    words.push({ start, end: start + raw.length, lower, caps, clause, taken: false });
    if (EN_CONTRAST.has(lower)) clause++;
    last = start + raw.length;
  }
  return words;
}

/** Index of the first negator among the `window` words before `i` in the same clause, or -1. */
function negatorBefore(words: Word[], i: number, window = 3): number {
  const clause = words[i]!.clause;
  for (let j = i - 1; j >= 0 && j >= i - window; j--) {
    const w = words[j]!;
    if (w.clause !== clause) break;
    if (EN_NEGATORS.has(w.lower) && !w.taken) {
      // "never been so disappointed", "never seen such rubbish" say more, not less.
      if (w.lower === 'never' && words.slice(j + 1, i).some((x) => x.lower === 'so' || x.lower === 'such' || x.lower === 'this' || x.lower === 'more')) return -1;
      // "don't make me complain" is the threat itself.
      if (FORCE.has(words[j + 1]?.lower ?? '')) return -1;
      return j;
    }
  }
  return -1;
}

const FORCE = new Set(['make', 'let', 'force', 'push']);

/** Boosters right before word `i` ("so very bad"): their product, and the words for the cue. */
function boostBefore(words: Word[], i: number): { factor: number; by: string } {
  const clause = words[i]!.clause;
  let factor = 1;
  let by = '';
  for (let j = i - 1; j >= 0 && j >= i - 2; j--) {
    const w = words[j]!;
    const b = EN_BOOSTERS.get(w.lower);
    if (w.clause !== clause || w.taken || b === undefined) break;
    factor *= b;
    by = by ? `${w.lower} ${by}` : w.lower;
  }
  return { factor, by };
}

function englishHits(text: string, lower: string, hits: Hit[]): Word[] {
  const words = englishWords(text);
  if (words.length === 0) return words;
  // phrases, leftmost first, in table order at one position
  for (let first = 0; first < words.length; first++) {
    const start = words[first]!.start;
    const candidates = EN_PHRASE_INDEX.get(prefixKey(lower.slice(start, start + 2)));
    if (candidates === undefined) continue;
    let end = -1;
    let entry: Entry | undefined;
    for (const c of candidates) {
      c.re.lastIndex = start;
      if (c.re.test(lower)) {
        end = c.re.lastIndex;
        entry = c.entry;
        break;
      }
    }
    if (entry === undefined) continue;
    let last = first;
    while (last + 1 < words.length && words[last + 1]!.end <= end) last++;
    for (let k = first; k <= last; k++) words[k]!.taken = true;
    if (entry.kind !== 'block') {
      const neg = negatorBefore(words, first, entry.kind === 'sent' ? 3 : 5);
      hits.push({ start, end, text: lower.slice(start, end), v: entry.v, kind: entry.kind, negated: neg >= 0, prefix: neg >= 0 ? `${lower.slice(words[neg]!.start, words[neg]!.end)} ` : '' });
    }
    first = last;
  }
  // single words
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.taken) continue;
    const entry = EN_WORDS.get(w.lower);
    if (entry === undefined || entry.kind === 'block') continue;
    // A word that is also a booster, right before another sentiment word, is read as the
    // booster: "fucking awesome" and "seriously good" are praise. A swear word before a
    // negative word still counts as swearing ("fucking useless").
    const next = words[i + 1];
    const nextEntry = next && !next.taken && next.clause === w.clause ? EN_WORDS.get(next.lower) : undefined;
    if (EN_BOOSTERS.has(w.lower) && nextEntry !== undefined && nextEntry.kind !== 'block' && (nextEntry.v > 0 || entry.kind !== 'swear')) continue;
    // Swearing stays swearing after a negator ("I can't find the damn button").
    const neg = entry.kind === 'swear' ? -1 : negatorBefore(words, i, entry.kind === 'sent' ? 3 : 5);
    const { factor, by } = boostBefore(words, i);
    const caps = w.caps && w.lower.length >= 2 ? 1.4 : 1;
    const negWord = neg >= 0 ? lower.slice(words[neg]!.start, words[neg]!.end) : '';
    const prefix = [negWord, by].filter((s) => s !== '').join(' ');
    hits.push({
      start: w.start,
      end: w.end,
      text: caps > 1 ? text.slice(w.start, w.end) : w.lower,
      v: entry.v * factor * caps,
      kind: entry.kind,
      negated: neg >= 0,
      prefix: prefix ? `${prefix} ` : '',
    });
  }
  return words;
}

function chineseHits(text: string, lower: string, hits: Hit[]): void {
  if (!HAS_CJK_OR_DIGIT.test(text)) return;
  type Piece = { start: number; end: number; key: string };
  const pieces: Piece[] = [];
  // Longest entry first at each position, then past it.
  for (let i = 0; i < lower.length; ) {
    const c = lower.charCodeAt(i);
    const cjk = (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
    // "12315" only as a number of its own (not inside an order or phone number).
    const digit = c === 0x31 && (i === 0 || !/\d/.test(lower[i - 1]!));
    let taken = 0;
    if (cjk || digit) {
      for (let len = Math.min(ZH_MAX_KEY, lower.length - i); len >= 1; len--) {
        const key = lower.slice(i, i + len);
        if (ZH_KEYS.has(key) && !(digit && /\d/.test(lower[i + len] ?? ''))) {
          pieces.push({ start: i, end: i + len, key });
          taken = len;
          break;
        }
      }
    }
    i += taken > 0 ? taken : 1;
  }
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    const entry = ZH_ENTRIES.get(piece.key);
    if (entry === undefined || entry.kind === 'block') continue;
    // Boosters right before (touching, or one character apart): 太慢, 真的很差.
    let factor = 1;
    let by = '';
    let from = piece.start;
    for (let q = p - 1; q >= 0; q--) {
      const prev = pieces[q]!;
      const b = ZH_BOOSTERS.get(prev.key);
      if (b === undefined || from - prev.end > 1) break;
      factor *= b;
      by = prev.key + by;
      from = prev.start;
    }
    // A negator within two characters before (boosters in between are skipped: 不太满意, 不是很满意),
    // not covered by another entry (特别, 非常, 别人).
    let negated = false;
    let negBy = '';
    for (let k = from - 1; k >= 0 && k >= from - 2; k--) {
      const ch = lower[k]!;
      if (!CJK.test(ch)) break;
      const covered = pieces.some((o) => o.start <= k && k < o.end);
      if (covered) break;
      // "别骗人了" still calls us cheats.
      if (ZH_NEGATORS.has(ch) && !(ch === '别' && (entry.kind === 'abuse' || entry.kind === 'swear'))) {
        negated = true;
        negBy = lower.slice(k, from);
        break;
      }
    }
    hits.push({ start: piece.start, end: piece.end, text: piece.key, v: entry.v * factor, kind: entry.kind, negated, prefix: negBy + by });
  }
  for (const m of lower.matchAll(ZH_REPEAT)) {
    hits.push({ start: m.index, end: m.index + m[0].length, text: m[0], v: -2.4, kind: 'repeat', negated: false, prefix: '' });
  }
  for (const m of lower.matchAll(ZH_FACTS)) {
    if (!hits.some((h) => h.start <= m.index && m.index < h.end)) hits.push({ start: m.index, end: m.index + m[0].length, text: m[0], v: -1.2, kind: 'sent', negated: false, prefix: '' });
  }
}

/** Plain content words of a message, for spotting the same demand asked again. */
function demandKey(text: string): string {
  return normalizeText(text, 300)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/\b(?:please|pls|plz|hi|hello|hey|again|still|now)\b/g, ' ')
    .replace(/请|你好|您好|再|还|又|吗|呢|啊|吧|了/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Same content words (Jaccard of words or CJK bigrams >= 0.75). */
function sameDemand(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  if (a === b) return true;
  const grams = (s: string): Set<string> => {
    const out = new Set<string>();
    for (const w of s.split(' ')) {
      if (CJK.test(w)) for (let i = 0; i + 1 < w.length; i++) out.add(w.slice(i, i + 2));
      else if (w.length > 1) out.add(w);
    }
    return out;
  };
  const x = grams(a);
  const y = grams(b);
  if (x.size === 0 || y.size === 0) return false;
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / (x.size + y.size - both) >= 0.75;
}

const REPEAT_IGNORED = new Set(['please', 'pls', 'plz', 'thanks', 'thank', 'very', 'really', 'so', 'no', 'ha', 'haha', 'lol']);

/** A word or short phrase three times in a row, a sentence said twice, or 2–4 Chinese characters three times in a row. */
function repetition(words: Word[], norm: string, sentences: ReadonlyArray<readonly [number, number]>, hits: Hit[]): string | undefined {
  const w = words.map((x) => x.lower);
  for (let n = 1; n <= 3; n++) {
    for (let i = 0; i + 3 * n <= w.length; i++) {
      let same = true;
      for (let k = 0; k < n && same; k++) same = w[i + k] === w[i + n + k] && w[i + k] === w[i + 2 * n + k];
      if (same && !w.slice(i, i + n).every((x) => REPEAT_IGNORED.has(x))) return `${w.slice(i, i + n).join(' ')} ×3`;
    }
  }
  const seen = new Map<string, readonly [number, number]>();
  for (const span of sentences.length > 1 ? sentences : []) {
    const [start, end] = span;
    const sentence = norm.slice(start, end).toLowerCase().replace(/[^a-z0-9\u3400-\u9fff]+/g, ' ').trim();
    if (sentence.split(' ').length < 2 && !(CJK.test(sentence) && sentence.length >= 4)) continue;
    const before = seen.get(sentence);
    // A repeated thank-you is not a demand.
    if (before && !hits.some((h) => h.v > 0 && h.end > 0 && h.start >= before[0] && h.end <= before[1])) return `"${sentence}" ×2`;
    seen.set(sentence, span);
  }
  const zh = CJK.test(norm) ? /([\u3400-\u9fff]{2,4})\1\1/.exec(norm) : null;
  if (zh && new Set(zh[1]).size > 1) return `${zh[1]} ×3`;
  return undefined;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Scores one shopper message: `score` -1 (furious) .. 1 (delighted), `anger` for clear
 * anger, abuse, threats or repeated demands, and the `cues` that decided it.
 */
export function scoreSentiment(text: string, options: SentimentOptions = {}): SentimentResult {
  const norm = normalizeText(typeof text === 'string' ? text : '', MAX_CHARS).replace(/[‘’`´]/g, "'");
  if (norm === '') return { score: 0, anger: false, cues: [] };
  const lower = norm.toLowerCase();
  const hits: Hit[] = [];
  const words = englishHits(norm, lower, hits);
  chineseHits(norm, lower, hits);
  if (MAYBE_EMOJI.test(norm)) for (const [re, entry, cue] of EMOJI) {
    re.lastIndex = 0;
    for (const m of norm.matchAll(re)) hits.push({ start: m.index, end: m.index + m[0].length, text: cue, v: entry.v, kind: entry.kind, negated: false, prefix: '' });
  }
  const modifiers: string[] = [];

  // Repetition inside the message ("refund refund refund", "Where is my order? Where is my order?",
  // "退钱退钱退钱") and across turns (the same demand for the third time).
  const sentences: Array<[number, number]> = [];
  let s0 = 0;
  for (const m of norm.matchAll(SENTENCE_BREAK)) {
    sentences.push([s0, m.index + m[0].length]);
    s0 = m.index + m[0].length;
  }
  if (s0 < norm.length) sentences.push([s0, norm.length]);
  const repeated = repetition(words, norm, sentences, hits);
  if (repeated) hits.push({ start: 0, end: 0, text: repeated, v: -1.8, kind: 'repeat', negated: false, prefix: '' });
  if (options.previous && options.previous.length > 0) {
    const key = demandKey(norm);
    const same = options.previous.filter((p) => sameDemand(key, demandKey(p))).length;
    if (same >= 2) hits.push({ start: 0, end: 0, text: `asked ${same + 1} times`, v: -2, kind: 'repeat', negated: false, prefix: '' });
  }

  // Sarcasm: praise next to a complaint, with an explicit marker ("oh great", 呵呵), or
  // opening a message that complains about "another"/"again"/又 without any "but".
  const positives = hits.filter((h) => h.v > 0 && !h.negated);
  const negatives = hits.some((h) => (h.v < 0 && !h.negated) || (h.v > 0 && h.negated));
  const marker = SARCASM_EN.test(lower) || SARCASM_ZH.test(norm);
  const first = hits.reduce<Hit | undefined>((a, h) => (h.end > 0 && (a === undefined || h.start < a.start) ? h : a), undefined);
  const again = (AGAIN_EN.test(lower) || AGAIN_ZH.test(norm)) && !CONTRAST_ANY.test(lower) && first !== undefined && first.v > 0 && !first.negated;
  if (positives.length > 0 && negatives && (marker || again)) {
    for (const h of positives) h.v = -0.8 * h.v;
    modifiers.push('sarcasm');
  }

  // Contrast: per sentence, the part after the last contrast word weighs 1.5, the part before 0.5.
  const weights = new Map<Hit, number>();
  for (const [a, b] of CONTRAST_ANY.test(lower) ? sentences : []) {
    const sentence = lower.slice(a, b);
    let at = -1;
    for (const m of sentence.matchAll(/\b(?:but|however)\b/g)) at = Math.max(at, a + m.index);
    for (const c of ZH_CONTRAST) {
      const k = sentence.lastIndexOf(c);
      if (k >= 0 && sentence[k - 1] !== '不') at = Math.max(at, a + k);
    }
    if (at < 0) continue;
    const inside = hits.filter((h) => h.start >= a && h.start < b && h.end > 0);
    if (!inside.some((h) => h.start < at) || !inside.some((h) => h.start > at)) continue;
    for (const h of inside) weights.set(h, h.start < at ? 0.5 : 1.5);
    if (!modifiers.includes('but')) modifiers.push('but');
  }

  let sum = 0;
  let anger = false;
  const cues: string[] = [];
  for (const h of hits) {
    const w = weights.get(h) ?? 1;
    const angry = h.kind !== 'sent' && h.kind !== 'block';
    const v = h.negated ? h.v * (angry ? NEGATED_ANGER_FACTOR : NEGATION_FACTOR) : h.v;
    sum += v * w;
    if (angry && !h.negated) anger = true;
    const label = `${h.prefix}${h.text}`;
    cues.push(angry && !h.negated ? `${h.kind}: ${label}` : label);
  }

  // Shouting: most letter words in capitals.
  const letterWords = words.filter((w) => !/\d/.test(norm.slice(w.start, w.end)));
  const capsWords = letterWords.filter((w) => w.caps && w.end - w.start >= 2);
  if (capsWords.length >= 3 && capsWords.length >= 0.6 * letterWords.length) {
    sum = sum <= 0 ? sum * 1.3 - 0.7 : sum;
    modifiers.push('ALL CAPS');
  }
  // "!!" and "?!" strengthen what is already said.
  const bangs = (norm.match(/!/g) ?? []).length;
  const asks = (norm.match(/\?/g) ?? []).length;
  if (sum !== 0 && bangs > 0) {
    sum += Math.sign(sum) * 0.3 * Math.min(bangs, 4);
    if (bangs >= 2) modifiers.push('!'.repeat(Math.min(bangs, 3)));
  }
  if (sum < 0 && asks >= 2) {
    sum -= 0.3 * Math.min(asks, 3);
    modifiers.push('??');
  }

  const score = round(sum / Math.sqrt(sum * sum + ALPHA));
  anger = (anger && score < 0) || score <= ANGER_SCORE;
  return { score: Object.is(score, -0) ? 0 : score, anger, cues: [...new Set([...cues, ...modifiers])].slice(0, 16) };
}
