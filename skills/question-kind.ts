import type { Turn } from './types.js';

/** The shopper speaks of their own order, parcel, refund or item: a case to look up, not a policy to quote. */
const OWN_CASE =
  /\b(?:my|our)\s+(?:\w+\s+){0,2}?(?:orders?|parcels?|packages?|refunds?|returns?|money|items?|purchases?|delivery|deliveries|shipments?|stuff|things|payment|address)\b|\bi (?:want|wanna|need|would like|'d like) to (?:cancel|return|refund|change|track|check|send|exchange)\b|\b(?:please|pls|plz) (?:cancel|return|refund|track|change|check)\b|\bthis order\b|我的(?:订单|包裹|快递|退款|钱|货|东西|单)|我(?:要|想)(?:退|取消|改|查|换)|帮我(?:退|取消|改|查|换)|我那|我买的|我下的|我刚买/i;
/** How to do something yourself ("where do I find my tracking number?", "怎么查物流"): a help article, whatever it mentions. */
const HOW_TO = /\b(?:how (?:do|can|could) (?:i|we|you)|where (?:do|can) (?:i|we) (?:find|see|get|check)|where is the)\b|怎么查|如何查|在哪(?:里)?(?:看|查|找)|怎样查/i;
/** Where a parcel is now, or when it comes: always the shopper's own parcel. */
const WHERE_IS_IT = /\bwhere(?:'s| is| are)\b|\bwhen will (?:it|they|my|the order)\b|到哪|在哪|到了吗|啥时候到|什么时候到|几时到/i;
/** A question about what happens in a case ("after it has shipped", "if I opened it", "发货后", "拆封了"): a rule, whoever's order it is. */
const CONDITION = /\b(?:after|once|when) (?:you|u) (?:receive|get|have received|got) (?:my |the |our |a )?(?:returns?|returned (?:item|parcel)s?|parcels?|packages?|items?|shoes|it back|them back)\b|(?:你们)?收到(?:退货|退回的|我的退货)(?:后|之后|以后)|\b(?:after|once|if|when) (?:it|they|the (?:order|parcel|item)s?)(?:'s| has| have| is| are| was)? (?:already )?(?:been )?(?:shipped|delivered|dispatched|opened|used|worn|washed|hemmed)\b|\bif i (?:already )?(?:opened|used|wore|washed)\b|发货(?:了|后|之后)|签收(?:了|后)|拆封(?:了|后)|用过(?:了)?还/i;
/** "my order already shipped, can I still…?": a rule for a state, asked about one's own order (not where it is). */
const ALREADY = /\b(?:has |have |is |was )?already (?:been )?(?:shipped|dispatched|delivered|sent out)\b/i;
/** What may still be done ("can I still…", "还能…"): with ALREADY, a rule; "has my order already shipped?" is not one. */
const STILL_POSSIBLE = /\b(?:can|could) (?:i|we|u|you)\b|\bstill\b|\bis it (?:too late|possible)\b|还能|还可以|还来得及/i;
/** A question as such: how long, can I, what happens if… */
const QUESTION = /[?？]|^\s*(?:how|what|when|can|could|do|does|is|are|will|which|why|if|should|may|who)\b|\b(?:can|could) (?:i|we|you)\b|多久|多长时间|几天|多少天|多少钱|什么时候|能不能|能否|可以.{0,8}吗|能[^，,。？?]{0,12}吗|可不可以|[吗呀呢]\s*[?？。!！]*\s*$|么\s*[?？]?\s*$|怎么|怎样|如何|咋|谁/i;

/**
 * A general question that only mentions orders, returns or refunds ("how long does a refund to
 * a Visa card take?", "发货了还能取消吗"): answered from the help articles, never with "which
 * order is it?". Not when it names an order number or speaks of the shopper's own case
 * ("where is my refund?", "我想退货"): that starts the order or return flow.
 */
export function isGeneralQuestion(turn: Pick<Turn, 'text' | 'nlu'>): boolean {
  if (turn.nlu.entities.some((e) => e.type === 'order_number')) return false;
  if (HOW_TO.test(turn.text) || CONDITION.test(turn.text)) return true;
  // "can I return it and get my money back?" asks whether a refund is possible, not for one's own
  // ("when will I get my money back?" is their own).
  const text = /\b(?:can|could) (?:i|we)\b[^?]{0,40}\bget (?:my|our) money back\b/i.test(turn.text) ? turn.text.replace(/\bget (?:my|our) money back\b/gi, 'get a refund') : turn.text;
  if (WHERE_IS_IT.test(text)) return false;
  if (ALREADY.test(text) && STILL_POSSIBLE.test(text)) return true;
  if (OWN_CASE.test(text)) return false;
  return QUESTION.test(turn.text.trim());
}

/** The thing a question points back at by name ("how long does the repair take?" -> "repair"), if any. */
export function pointedBackAt(text: string): string | undefined {
  return /\bthe (repair|refund|exchange|replacement|warranty claim|claim|pickup|investigation)s?\b/i.exec(text)?.[1]?.toLowerCase();
}

/** A follow-up that only makes sense after the previous answer: "and to Hong Kong?", "what about SF?", "那顺丰呢", "改到香港呢", "跑步穿的话…". */
const FOLLOW_UP = /^\s*(?:and|what about|how about|or|also|same for|what if)\b|^\s*(?:那|那么|还有|如果是|要是)|呢\s*[?？。!！~～]*\s*(?:多少钱|几天|多久|怎么算)?\s*[?？]*\s*$|^[^,，。.!！?？]{1,12}的话/i;
/**
 * A question that points back at what was just answered ("how long does the repair take?", "do
 * I have to pay to ship it?", "这个要多久"): its words need the previous answer to mean anything.
 */
const POINTS_BACK = /\b(?:it|that|this|they|them|those|the repair|the refund|the exchange|the replacement)\b|[它这那](?:个|种|样|次)?(?:要|需要|得|能|可以|会|多久|多少|怎么)/i;

/**
 * "ok", "cool", "好的", "嗯", "亲", "hi" and the like in front of a message: an acknowledgement of the last
 * answer or a greeting, not part of what the shopper now asks ("ok cool and is it free over some amount?",
 * "好的 那关税谁付").
 */
const LEADING_ACK = /^\s*(?:(?:ok(?:ay)?|k|cool|great|nice|perfect|alright|all right|right|sure|got it|i see|thanks?(?: a lot| so much| very much)?|thank you(?: so much| very much)?|thx|ty|yes|yeah|yep|yup|hmm+|ah|oh|hi|hello|hey)\b[\s,.!~]*)+|^\s*(?:(?:亲亲|亲爱的|亲|您好|你好|好的|好吧|好滴|好嘞|好|嗯嗯|嗯|哦哦|哦|噢|喔|行吧|行|明白了|明白|知道了|了解了|了解|谢谢|收到|ok)[\s,，.。!！~～、]*)+/i;

/** "great, thanks a lot!", "好的谢谢": the whole message is an acknowledgement; `thanks` when it thanks. */
export function onlyAcknowledgement(text: string): 'thanks' | 'affirm' | undefined {
  const m = LEADING_ACK.exec(text);
  if (!m || text.slice(m[0].length).replace(/[\s\p{P}\p{S}]/gu, '') !== '') return undefined;
  return /thank|thx|\bty\b|谢/i.test(text) ? 'thanks' : 'affirm';
}

/** The message without an acknowledgement in front, when something that has words of its own follows it. */
export function withoutLeadingAck(text: string): string | undefined {
  const m = LEADING_ACK.exec(text);
  if (!m || m[0].length === 0) return undefined;
  const rest = text.slice(m[0].length).trim();
  return /[\p{L}]{2,}|\p{Script=Han}{2,}/u.test(rest) ? rest : undefined;
}

/**
 * How a message follows the last answer: `form` when its shape says so ("and to Hong Kong?",
 * "那顺丰呢"), `points_back` when it is a question that refers back to it ("how long does the
 * repair take?"), else undefined. An acknowledgement in front ("ok cool and …") does not count.
 */
export function followUpKind(text: string): 'form' | 'points_back' | undefined {
  const t = (withoutLeadingAck(text) ?? text).trim();
  if (t.length <= 60 && FOLLOW_UP.test(t)) return 'form';
  if (t.length <= 80 && POINTS_BACK.test(t) && QUESTION.test(t)) return 'points_back';
  return undefined;
}

/** Something went wrong with what the shopper received: broken, leaking, faulty, not what was ordered. */
const ITEM_PROBLEM =
  /\b(?:broken|broke|cracked|shattered|smashed|torn|ripped|damaged|dented|scratched|leak(?:ed|ing|s)?|faulty|defective|peel(?:ing|ed|s)?(?: off)?|falling apart|came apart|fell apart|coming off|stopped (?:working|charging)|(?:won'?t|doesn'?t|does not|will not|can'?t|cannot|wont|doesnt|cant) (?:charge|turn on|switch on|connect|pair|work)|not working|no sound|crackl(?:e|ing)|buzz(?:es|ing)?|static noise|(?:got|received|sent me|sent|came with|delivered) (?:the |a |an )?wrong|wrong (?:item|product|colou?r|one|thing)s? (?:was |were )?(?:sent|delivered|arrived|came)|missing (?:item|part|piece|accessor(?:y|ies))s?|ordered\b.{1,60}\b(?:got|received|came|sent me)\b|only (?:\d+|one|two|three|four|half) (?:of them )?(?:in the (?:box|parcel|package)|arrived|came)|(?:is|was|are|were) missing from (?:the|my) (?:box|parcel|package|order))/i;
const ITEM_PROBLEM_ZH = /坏了|坏的|碎了|破了|破损|裂了|裂开|漏了|漏液|漏出|洒了|压坏|摔坏|开胶|脱胶|脱线|开线|掉底|杂音|沙沙|滋滋|没声音|没有声音|充不进电|充不了电|不能充电|充不上电|开不了机|开不开机|连不上|老断连|发错|寄错|少发|漏发|少了(?:一|个|件)|瑕疵|质量(?:有)?问题|质量太差|不亮了|划痕|变形|拉不动|拉链坏|断了|脱落|(?:下单|买|订|要)的?(?:是|明明是).{1,20}(?:发来|寄来|收到|到手)的?(?:是|却是|成了)/;
/** The parcel did not come: delivered on the tracking but not received, stuck, lost, not shipped when promised. */
const PARCEL_PROBLEM =
  /\b(?:(?:says|shows|showing|marked(?: as)?|status(?: is)?)\s+delivered\b.{0,40}\b(?:not|never|nothing|no(?:thing)?|didn'?t|haven'?t|didnt|havent)\b|never (?:arrived|came|got (?:it|them|my)|received)|(?:hasn'?t|has not|hasnt|haven'?t|have not|havent|didn'?t|did not|didnt|still not|not yet|still hasn'?t) (?:arrived|come|moved|updated|changed|been delivered|turned up|shown up)|tracking (?:hasn'?t|has not|hasnt|isn'?t|not|is not|still not) (?:moved|moving|updated|updating|changed)|(?:parcel|package|order|tracking|shipment) (?:is |has been |seems |got )?(?:stuck|lost|missing)|lost (?:my |the )?(?:parcel|package|order|shipment))/i;
const PARCEL_PROBLEM_ZH = /(?:显示|已经|说)(?:已)?签收.{0,16}(?:没|未|根本没)(?:收到|拿到|看到)|(?:根本|一直|还|都)没(?:收到|到|发|发货|动静)|(?:一直|还是|都)(?:不|没)(?:发|发货|动|更新)|不发货|物流(?:不动|没动|没更新|一直没|停了|卡住|卡在)|(?:快递|包裹)(?:丢了|丢失|不见了)|丢件|(?:几|好几|\d+)天(?:了)?(?:都|还)?(?:没|不)(?:动|更新|发|到)/;

/**
 * A shopper reporting a problem with what they bought or with its delivery ("the sole is peeling
 * off after 2 months", "面霜瓶子碎了", "tracking says delivered but nothing arrived"): a case for
 * the help articles that say how we put it right, not a product search or an order-number prompt.
 */
export function reportedProblem(text: string): 'item' | 'parcel' | undefined {
  if (ITEM_PROBLEM.test(text) || ITEM_PROBLEM_ZH.test(text)) return 'item';
  if (PARCEL_PROBLEM.test(text) || PARCEL_PROBLEM_ZH.test(text)) return 'parcel';
  return undefined;
}

/** Not what was ordered, something missing, or broken on arrival: the report-within-48-hours case, not a warranty. */
const WRONG_OR_MISSING =
  /\bwrong (?:item|size|colou?r|product|one|thing|model|order)s?\b|\b(?:sent|got|received|delivered) (?:me )?(?:the |a |an )?wrong\b|\bmissing\b|\bonly (?:\d+|one|two|three|four|half) (?:of (?:them|the \w+) )?(?:in the (?:box|parcel|package)|arrived|came)\b|\binstead of\b|\bordered\b.{1,60}\b(?:got|received|came|sent me)\b|\b(?:arrived|came|delivered)\s+(?:\w+\s+)?(?:broken|cracked|damaged|smashed|crushed|leaking|torn)|发错|寄错|少发|漏发|少了|发来的是|寄来的是|收到的是|到手(?:的)?(?:是|却是)(?!好)|压坏|(?:到|收到|拆开).{0,6}(?:就)?(?:坏|碎|破|漏)/i;
const DELIVERED_NOT_RECEIVED = /\bdelivered\b|签收|送达|已送到/i;
const ELECTRONICS = /\b(?:ear ?buds?|earphones?|headphones?|headset|watch|smartwatch|band|tracker|charg\w*|battery|bluetooth|noise cancell?ing|anc)\b|耳机|手表|手环|充电|电池|蓝牙|降噪/i;
const WEARABLES = /\b(?:shoes?|sneakers?|trainers?|boots?|soles?|heels?|laces?|jackets?|coats?|hoodies?|shirts?|tees?|t-shirts?|jeans|pants|trousers|dress(?:es)?|sweaters?|zips?|zippers?|stitch\w*|seams?|bags?|backpacks?|straps?|buckles?|clothes|clothing)\b|鞋|开胶|衣|外套|裤|裙|拉链|背包|包包|书包|双肩包|挎包|线头|开线|纽扣|扣子/i;

/**
 * Words that say which kind of problem a report is, searched with it so that the article that puts
 * that kind right answers (retrieval alone sends "the sole is peeling" to refunds, "got a pink one
 * in XS" to exchanges): not what was ordered or missing -> the report-it-within-48-hours case; a
 * defect that showed with use -> the warranty of that kind of product; a parcel -> delays and losses.
 */
export function problemSearchWords(kind: 'item' | 'parcel', text: string, locale: 'en' | 'zh'): string {
  const zh = locale === 'zh';
  if (kind === 'parcel') {
    if (DELIVERED_NOT_RECEIVED.test(text)) return zh ? '包裹 显示已签收 但没收到' : 'parcel, tracking says delivered but not received';
    return zh ? '包裹延误 丢失 物流不更新' : 'delayed or lost parcel, tracking not updated';
  }
  // A fault that showed with use ("after 2 months", "穿了一个月") is a warranty case, whatever else it says.
  const withUse = /\b(?:after|for) (?:\d+|a|an|one|two|three|few|several) (?:days?|weeks?|months?)\b|\b(?:\d+|a few|few|several) (?:weeks?|months?) (?:ago|in|later)\b|用了|穿了|戴了|背了|个月/i.test(text);
  if (!withUse && WRONG_OR_MISSING.test(text)) return zh ? '商品破损 发错货 少发漏发 照片' : 'damaged, wrong or missing item, photos';
  if (ELECTRONICS.test(text)) return zh ? '耳机 智能手表 保修 维修' : 'headphones smartwatch warranty repair';
  if (WEARABLES.test(text)) return zh ? '鞋服箱包 质量保障 瑕疵' : 'quality guarantee defect shoes clothing bags';
  return zh ? '质量问题 保修' : 'faulty item warranty';
}

/** The shopper speaks of their own order or parcel ("my order", "我买的那个手表", "我下的单"): a case the order skills look up. */
export function speaksOfOwnCase(text: string): boolean {
  return OWN_CASE.test(text);
}

/** "Which size should I take?", "身高165 胸围86 穿什么码": size advice, which the size guides give (not a product list). */
const WHICH_SIZE = /\bsize (?:chart|guide|table)s?\b|尺码表|尺码对照|码数表|尺码指南|\bwhat size (?:should|do|would|shall|to)\b|\bwhich size (?:should|do|would|shall|to)\b|\bwhat size (?:am|is) (?:i|my)\b|\bsize (?:should|do) i (?:get|take|buy|order)\b|穿(?:什么|多大|几)码|(?:选|买|拿)(?:什么|多大|哪个|几)码|多大(?:的)?码|什么尺码|哪个尺码|尺码怎么选|码数怎么选|(?:最大|最小)(?:的)?(?:有|是|到|能到)?(?:多少|几|多大|多小)(?:的)?码|尺码范围|码数范围|有哪些(?:尺码|码数|码)|\b(?:largest|biggest|smallest) size\b|\bbetween (?:a |an |size |sizes )?\d{1,3}(?:\.\d)? and (?:a |an )?\d{1,3}(?:\.\d)?\b|\d{2}(?:码)?还是\d{2}码|在\d{2}(?:码)?和\d{2}码?之间|\bwhat sizes? (?:do|does) (?:your |the )?\w+(?: \w+)? come in\b/i;

export function asksWhichSize(text: string): boolean {
  return WHICH_SIZE.test(text);
}

/** "When will my shoes arrive?", "我那双鞋到底啥时候到": the shopper's own parcel (not a restock: 到货). */
const MINE = /\bmy\b|我的|我那|我买的|我下的|我订的|我定的/i;

export function asksWhereMyParcelIs(text: string): boolean {
  return MINE.test(text) && WHERE_IS_IT.test(text) && !/到货|补货|restock|back in stock/i.test(text);
}

/** Saying one wants to complain ("I'd like to file a complaint", "我想投诉一下"): a complaint, whatever else the words resemble. */
const COMPLAINT = /\b(?:file|make|lodge|raise|submit)\s+(?:a\s+)?(?:formal\s+)?complaint\b|\bwant to complain\b|\bcomplain about\b|投诉|我要反馈|想反馈|反馈一下/i;

export function saysComplaint(text: string): boolean {
  return COMPLAINT.test(text);
}

/** Words around a wish to complain that say nothing of what it is about ("I'd like to", "一下"). */
const COMPLAINT_FILLER = /\b(?:hi|hello|hey|i'?d like to|i would like to|i want to|i wanna|i need to|please|pls|can i|could i|how do i|how can i|a|an|the|formal|about|something|here|now)\b|我(?:想|要|得|需要)?|想|要|一下|一个|下|的|了|啊|呀|吧|呢|嗯|您好|你好|请问|怎么|如何|可以|吗|客服/gi;

/** "I'd like to file a complaint", "我想投诉一下": a wish to complain that does not yet say about what. */
export function complaintWithoutTopic(text: string): boolean {
  if (!COMPLAINT.test(text)) return false;
  const rest = text.replace(new RegExp(COMPLAINT.source, 'gi'), ' ').replace(COMPLAINT_FILLER, ' ');
  return !/[\p{L}]{3,}|\p{Script=Han}{2,}/u.test(rest);
}

/** The action the shopper names for their order, by its verb: "exchange the shoes", "退货", "cancel it". */
const NAMED_ACTIONS: ReadonlyArray<[string, RegExp]> = [
  ['exchange_item', /\b(?:exchange|swap)\b|换货|换(?:个|一个|一)?(?:码|号|尺码|大一|小一|颜色|size)|换成/i],
  ['return_item', /\breturn(?:ing)? (?:it|them|the|this|my|an?)\b|\bsend (?:it|them) back\b|退货|退掉|退回去/i],
  ['cancel_order', /\bcancel\b|取消(?:订单|这个单|这单|掉)?/i],
];

/** The one order action the message names by its verb, when it names exactly one. */
export function namedOrderAction(text: string): string | undefined {
  const named = NAMED_ACTIONS.filter(([, re]) => re.test(text)).map(([intent]) => intent);
  return named.length === 1 ? named[0] : undefined;
}

/** Other shops, by name; JD only as a shop (京东的客服, JD's service), since JD Logistics carries our parcels. */
const OTHER_SHOP =
  /\b(?:amazon|taobao|tmall|ebay|aliexpress|shein|temu|walmart|costco|pinduoduo|jd\.com)\b|淘宝|天猫|拼多多|唯品会|亚马逊|抖音商城|京东(?:的)?\s*(?:客服|商城|自营|官网|会员|plus|售后)|\bjd(?:'s)?\s+(?:customer service|hotline|store|mall)\b/i;
/** Words by which a message is about this shop ("do you price-match Taobao?", "比淘宝贵吗 你们"). */
const ABOUT_US = /\b(?:you|your|ur|u|here|yours|this shop|this store|bamboo lane|it|this|cheaper|pricier|price[- ]?match(?:ing)?)\b|你们|您们|贵店|店里|这里|这边|这家|竹径|这个|这款|这件|这双|保价|同款|便宜|贵/i;
/** The shopper's parcel, order or payment ("京东客服电话多少，我的快递一直没到", "pay with Amazon Pay"): ours whatever else it names. */
const OUR_BUSINESS = /\b(?:parcels?|packages?|orders?|pay|paid|payment|refund)\b|包裹|快递|订单|付款|支付|退款/i;
/** How a question is put, not whom it is about: "do you know if…", "你知道…吗". */
const ASKING_IF = /\b(?:do|does) (?:you|u) (?:know|think)(?: if| whether)?\b|\bcan (?:you|u) tell me(?: if| whether)?\b|你知道|你觉得|你说/gi;
/** A task for a general assistant, not a shop question: translating, writing a poem or an essay, code. */
const TASK = /\btranslate\b|翻译(?:成|一下|这|下)|\bwrite (?:me )?(?:a|an) (?:poem|essay|story|song|cover letter|haiku|program|script)\b|写(?:一首|一篇|首|篇)(?:诗|作文|文章|歌)|帮我写(?:代码|程序|作业)/i;

/** A message about another shop ("do u know if amazon or jd delivers faster?", "京东的客服电话是多少") or a task for a general assistant ("帮我翻译成日语"). */
export function asksAboutSomethingElse(text: string): boolean {
  if (TASK.test(text)) return true;
  if (!OTHER_SHOP.test(text) || OUR_BUSINESS.test(text) || OWN_CASE.test(text)) return false;
  return !ABOUT_US.test(text.replace(ASKING_IF, ' '));
}

