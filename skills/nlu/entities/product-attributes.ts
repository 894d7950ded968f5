/**
 * Product attributes a shopper names — "noise cancelling", "防水", "for oily skin", "leather",
 * "女款", "black", "Sonara" — and the catalogue indexed by them, so that the recommend skill can
 * apply them as HARD filters before anything is ranked.
 *
 * The vocabulary is built from the catalogue itself (its attribute values, tags and brands,
 * Chinese brand names read off the Chinese titles) plus a small synonym table below: concepts
 * that cut across fields ("wireless" is `connectivity: Bluetooth 5.3` or the `wireless` tag),
 * Chinese words and common spellings. Each product is indexed with the terms it has: from its
 * fields first; where the product has no such field, from its tags, then its EN/ZH title and
 * description (a mention after "not", "无法" … in the same clause does not count).
 *
 * Every table keyed by words is a Map (shoppers' words are looked up here; a plain object
 * would answer for "constructor" too).
 */
import type { Locale, Product } from '../../../store/index.js';
import { AttributeExtractor, colorFits, colorName } from './attributes.js';
import { CATEGORY_SYNONYMS } from './catalog.js';
import { escapeRegExp, foldWidth, matchAll } from './text.js';

/** One attribute the shopper asked for (or, with `not`, asked to leave out). */
export interface AttributeConstraint {
  /** 'feature' (a concept below), 'tag', 'color', 'size', or a catalogue attribute key ('brand', 'material', 'keyIngredient', …). */
  key: string;
  /** The canonical value: a concept id, a tag, or the value as the catalogue spells it. */
  value: string;
  /** Leave out products that have it ("not wired", "不要有线的", "another brand"). */
  not?: boolean;
  /** The closest substitute instead of the thing itself (unisex for women's, water-repellent for waterproof). */
  near?: boolean;
  /** What the shopper typed for it: a label of last resort. */
  said?: string;
  /** Not named by the shopper but assumed (kids' products only when asked for): never named in replies, loosened first. */
  implied?: boolean;
}

/** The hard constraints of one product request. */
export interface ProductQuery {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  attributes: AttributeConstraint[];
}

/** What was loosened to find something when nothing fit the query. */
export interface Relaxation {
  /** The price bounds were dropped (products nearest the bounds first). */
  price: boolean;
  /** Constraints left out. */
  dropped: AttributeConstraint[];
  /** A constraint replaced by its closest substitute. */
  near?: AttributeConstraint;
  /** The category was dropped (it has nothing in stock at all). */
  category: boolean;
  query: ProductQuery;
  /** In stock and fitting the relaxed query; nearest in price first when the price was dropped. */
  products: Product[];
}

type Label = { en: string; zh: string; /** English: after the noun ("for oily skin"), not before it. */ post?: boolean };

interface Concept {
  phrases: string[];
  label: Label;
  /** Fields that decide when the product has one of them ("fields first"). */
  fields?: string[];
  field?: RegExp;
  /** With `anyOf`, a field match or a tag counts (the field does not decide alone). */
  anyOf?: boolean;
  tags?: string[];
  /** Infer from the product's title and description where its fields say nothing (default true). */
  text?: boolean;
  /** The closest substitute when nothing has it. */
  near?: { label: Label; concept?: string; field?: { key: string; test: RegExp; orMissing?: boolean } };
  /** Constraints of one group exclude each other: a new one replaces the old in a follow-up. */
  group?: string;
}

/** Cross-field concepts with their English and Chinese words. */
export const CONCEPTS: ReadonlyMap<string, Concept> = new Map<string, Concept>([
  ['noise-cancelling', {
    phrases: ['noise cancelling', 'noise canceling', 'noise cancellation', 'noise cancel', 'active noise cancelling', 'anc', '降噪', '主动降噪', '消噪'],
    label: { en: 'noise-cancelling', zh: '降噪' },
    tags: ['noise-cancelling'],
  }],
  ['waterproof', {
    phrases: ['waterproof', 'water proof', 'water resistant', 'water resistance', 'watertight', 'for swimming', 'swimproof', '防水', '游泳', '能下水'],
    label: { en: 'waterproof', zh: '防水' },
    fields: ['waterResistance'],
    field: /\S/,
    tags: ['waterproof'],
    near: { label: { en: 'water-repellent', zh: '防泼水' }, concept: 'water-repellent' },
  }],
  ['water-repellent', {
    phrases: ['water repellent', 'showerproof', 'shower proof', 'splash proof', 'splashproof', '防泼水', '泼水'],
    label: { en: 'water-repellent', zh: '防泼水' },
  }],
  ['wireless', {
    phrases: ['wireless', 'bluetooth', 'cordless', '无线', '蓝牙'],
    label: { en: 'wireless', zh: '无线' },
    fields: ['connectivity'],
    field: /bluetooth|wireless|wi-?fi/i,
    tags: ['wireless'],
    group: 'connectivity',
  }],
  ['wired', {
    phrases: ['wired', 'cabled', 'with a cable', '有线'],
    label: { en: 'wired', zh: '有线' },
    fields: ['connectivity'],
    field: /wired|cable|3\.5/i,
    tags: ['wired'],
    group: 'connectivity',
  }],
  ['leather', {
    phrases: ['leather', 'genuine leather', 'real leather', '皮革', '真皮', '皮质', '牛皮', '皮面', '皮'],
    label: { en: 'leather', zh: '皮革' },
    fields: ['material'],
    field: /leather|suede/i,
    tags: ['leather'],
  }],
  ['knit', {
    phrases: ['knit', 'knitted', 'knitwear', '针织'],
    label: { en: 'knit', zh: '针织' },
    fields: ['material'],
    field: /knit/i,
    anyOf: true,
    tags: ['knit'],
  }],
  ['oily-skin', {
    phrases: ['oily skin', 'oily', 'oily combination', 'combination skin', 'greasy skin', 'acne prone', '皮肤油', '皮肤很油', '皮肤比较油', '爱出油', '出油', '油皮', '油性', '油性皮肤', '油性肌肤', '混油', '混合性', '混合肌', '控油', '油痘肌', '大油皮'],
    label: { en: 'for oily skin', zh: '适合油性肌肤', post: true },
    fields: ['skinType'],
    field: /oily|combination/i,
    near: { label: { en: 'for all skin types', zh: '适合各种肤质', post: true }, field: { key: 'skinType', test: /^all$/i } },
    group: 'skin',
  }],
  ['dry-skin', {
    phrases: ['dry skin', 'dry sensitive', 'flaky skin', '干皮', '干性', '干性皮肤', '干性肌肤', '干燥肌', '皮肤干', '皮肤很干', '皮肤比较干'],
    label: { en: 'for dry skin', zh: '适合干性肌肤', post: true },
    fields: ['skinType'],
    field: /dry/i,
    near: { label: { en: 'for all skin types', zh: '适合各种肤质', post: true }, field: { key: 'skinType', test: /^all$/i } },
    group: 'skin',
  }],
  ['sensitive-skin', {
    phrases: ['sensitive skin', 'sensitive', '敏感肌', '敏感', '敏感性皮肤', '敏感肌肤'],
    label: { en: 'for sensitive skin', zh: '适合敏感肌', post: true },
    fields: ['skinType'],
    field: /sensitive/i,
    near: { label: { en: 'for all skin types', zh: '适合各种肤质', post: true }, field: { key: 'skinType', test: /^all$/i } },
    group: 'skin',
  }],
  ['women', {
    phrases: ['women', 'woman', 'womens', 'ladies', 'lady', 'female', 'for her', 'girls', '女款', '女士', '女式', '女生', '女性', '女装', '女鞋', '女用', '女孩', '女朋友', '女款的'],
    label: { en: "women's", zh: '女款' },
    fields: ['gender'],
    field: /^(?:women|female)$/i,
    near: { label: { en: 'unisex', zh: '中性款' }, field: { key: 'gender', test: /^unisex$/i, orMissing: true } },
    group: 'gender',
  }],
  ['men', {
    phrases: ['men', 'man', 'mens', 'male', 'for him', 'gents', 'guys', '男款', '男士', '男式', '男生', '男性', '男装', '男鞋', '男用', '男朋友'],
    label: { en: "men's", zh: '男款' },
    fields: ['gender'],
    field: /^(?:men|male)$/i,
    near: { label: { en: 'unisex', zh: '中性款' }, field: { key: 'gender', test: /^unisex$/i, orMissing: true } },
    group: 'gender',
  }],
  ['unisex', {
    phrases: ['unisex', 'gender neutral', '中性款', '中性', '男女同款', '男女通用'],
    label: { en: 'unisex', zh: '中性款' },
    fields: ['gender'],
    field: /^unisex$/i,
    group: 'gender',
  }],
  ['kids', {
    phrases: ['kids', 'kid', 'children', 'childrens', 'child', 'toddler', 'for my son', 'for my daughter', '儿童', '小孩', '孩子', '童款', '小朋友', '宝宝', '儿子', '女儿'],
    label: { en: "kids'", zh: '儿童' },
    tags: ['kids'],
  }],
  ['work', {
    phrases: ['for work', 'to work', 'at work', 'work bag', 'office', 'commute', 'commuting', 'commuter', 'business', '上班', '通勤', '办公', '商务'],
    label: { en: 'for work', zh: '通勤上班', post: true },
    tags: ['commute', 'business'],
    text: false,
  }],
  ['wedding', {
    phrases: ['wedding', 'wedding guest', 'bridesmaid', '婚礼', '婚宴', '喜宴', '喝喜酒', '参加婚礼'],
    label: { en: 'for a wedding', zh: '适合婚礼', post: true },
  }],
  ['beach', {
    phrases: ['beach', 'seaside', 'by the sea', '海边', '沙滩', '度假'],
    label: { en: 'for the beach', zh: '适合海边度假', post: true },
  }],
  ['retro', {
    phrases: ['retro', 'vintage', 'old school', '复古'],
    label: { en: 'retro', zh: '复古' },
    tags: ['retro', 'vintage'],
    text: false,
  }],
  ['loose', {
    phrases: ['oversized', 'oversize', 'baggy', 'boxy', 'relaxed', 'relaxed fit', 'loose', 'loose fit', '宽松', '落肩'],
    label: { en: 'loose-fit', zh: '宽松' },
    tags: ['oversized', 'relaxed', 'loose'],
    text: false,
  }],
  ['print', {
    phrases: ['graphic', 'print', 'printed', 'graphic tee', '印花', '图案'],
    label: { en: 'printed', zh: '印花' },
    tags: ['graphic', 'print'],
    text: false,
  }],
  ['bootcut', {
    phrases: ['bootcut', 'boot cut', 'flare', 'flared', 'flares', '微喇', '喇叭'],
    label: { en: 'bootcut', zh: '微喇' },
    tags: ['bootcut', 'flare'],
    text: false,
  }],
  ['stability', {
    phrases: ['stability', 'support', 'supportive', 'arch support', 'overpronation', 'flat feet', '稳定', '稳定支撑', '支撑', '扁平足'],
    label: { en: 'stability', zh: '稳定支撑' },
    tags: ['stability', 'support'],
    text: false,
  }],
  ['sunscreen', {
    phrases: ['sunscreen', 'sunblock', 'sun cream', 'spf', '防晒', '防晒霜'],
    label: { en: 'sunscreen', zh: '防晒' },
    tags: ['sunscreen', 'spf'],
    text: false,
  }],
]);

/** Tags a shopper names, with their Chinese words (the first is the label) and more English words. */
const TAGS: ReadonlyMap<
  string,
  {
    zh: string[];
    en?: string[];
    label?: string;
    /** The tag alone is too vague a word ("sleeve", "slip"). */
    noBare?: boolean;
    /** A kind of product: named as the noun of a description ("fitness bands", "手环"), not as an adjective. */
    noun?: { en: string; zh: string };
  }
> = new Map([
  ['trail', { zh: ['越野', '山地'], en: ['off road'] }],
  ['road', { zh: ['公路', '路跑'], en: ['pavement'] }],
  ['racing', { zh: ['竞速', '比赛'], en: ['race', 'racer'] }],
  ['carbon-plate', { zh: ['碳板'], en: ['carbon plated', 'carbon'] }],
  ['marathon', { zh: ['马拉松', '全马', '半马'] }],
  ['cushioned', { zh: ['缓震', '减震'], en: ['cushioning', 'cushion'] }],
  ['high-top', { zh: ['高帮'] }],
  ['low-top', { zh: ['低帮'] }],
  ['slip-on', { zh: ['一脚蹬', '懒人鞋'] }],
  ['court', { zh: [], en: ['court shoes', 'court sneakers'], label: 'court', noBare: true }],
  ['gps', { zh: ['定位', '带定位'], label: 'GPS' }],
  ['nfc', { zh: ['刷卡支付', '公交卡', '门禁'], label: 'NFC' }],
  ['health', { zh: ['健康监测', '心率', '血氧'], en: ['heart rate', 'health tracking'] }],
  ['sleep', { zh: ['睡眠', '睡眠监测'], en: ['sleep tracking'] }],
  ['fitness-band', { zh: ['手环', '运动手环', '健身手环'], en: ['fitness tracker', 'activity tracker', 'band'], noun: { en: 'fitness bands', zh: '手环' } }],
  ['smartwatch', { zh: ['智能手表'], en: ['smart watch'], noun: { en: 'smartwatches', zh: '智能手表' } }],
  ['outdoor', { zh: ['户外'], en: ['outdoors'] }],
  ['hiking', { zh: ['徒步', '登山', '爬山'], en: ['hike', 'hikes', 'trekking'] }],
  ['camping', { zh: ['露营'], en: ['camp'] }],
  ['travel', { zh: ['旅行', '出差', '旅游', '坐飞机', '长途飞行'], en: ['travelling', 'traveling', 'trip', 'trips', 'flight', 'flights', 'plane'] }],
  ['gym', { zh: ['健身', '健身房'], en: ['workout', 'workouts', 'training', 'fitness'] }],
  ['sport', { zh: ['运动'], en: ['sports', 'sporty', 'exercise', 'exercising'] }],
  ['running', { zh: ['跑步', '跑者', '慢跑'], en: ['run', 'jogging', 'runner', 'runners'] }],
  ['studio', { zh: ['监听', '录音', '混音'], en: ['monitor', 'monitoring', 'mixing', 'podcast', 'podcasting'] }],
  ['earbuds', { zh: ['真无线', '耳塞'], en: ['earbud', 'true wireless', 'tws'], noun: { en: 'earbuds', zh: '真无线耳机' } }],
  ['in-ear', { zh: ['入耳式', '入耳'] }],
  ['over-ear', { zh: ['头戴式', '头戴', '包耳'], en: ['over the ear', 'around ear'] }],
  ['on-ear', { zh: ['贴耳式', '贴耳'] }],
  ['open-ear', { zh: ['开放式', '不入耳', '骨传导', '挂耳'], en: ['bone conduction'] }],
  ['neckband', { zh: ['颈挂', '挂脖'], en: ['neck band'] }],
  ['laptop', { zh: ['电脑', '笔记本'], en: ['computer', 'macbook'] }],
  ['sleeve', { zh: ['内胆包', '电脑包'], en: ['laptop sleeve'], label: 'laptop sleeve', noBare: true, noun: { en: 'laptop sleeves', zh: '电脑内胆包' } }],
  ['backpack', { zh: ['双肩包', '背包', '书包'], en: ['rucksack', 'daypack'], noun: { en: 'backpacks', zh: '双肩包' } }],
  ['tote', { zh: ['托特包', '托特'], en: ['tote bag'], noun: { en: 'tote bags', zh: '托特包' } }],
  ['crossbody', { zh: ['斜挎包', '斜挎', '挎包'], en: ['cross body', 'sling', 'shoulder bag'], noun: { en: 'crossbody bags', zh: '斜挎包' } }],
  ['duffel', { zh: ['旅行袋', '行李袋', '健身包'], en: ['duffle', 'holdall', 'weekender'], noun: { en: 'duffel bags', zh: '旅行袋' } }],
  ['belt-bag', { zh: ['腰包'], en: ['bum bag', 'fanny pack', 'waist bag'], noun: { en: 'belt bags', zh: '腰包' } }],
  ['briefcase', { zh: ['公文包'], noun: { en: 'briefcases', zh: '公文包' } }],
  ['shopping', { zh: ['购物'] }],
  ['warm', { zh: ['保暖', '暖和'], en: ['warmth', 'cosy', 'cozy'] }],
  ['winter', { zh: ['冬天', '冬季', '冬装'], en: ['cold weather'] }],
  ['summer', { zh: ['夏天', '夏季', '夏装'], en: ['hot weather'] }],
  ['spring', { zh: ['春天', '春季', '春秋'] }],
  ['windproof', { zh: ['防风'], en: ['wind proof', 'windbreaker'] }],
  ['packable', { zh: ['可收纳', '便携', '轻便'], en: ['foldable', 'lightweight'] }],
  ['softshell', { zh: ['软壳'], en: ['soft shell'] }],
  ['rain', { zh: ['雨衣', '下雨', '雨天'], en: ['rainy', 'raincoat'] }],
  ['bomber', { zh: ['飞行员夹克', '飞行夹克', '棒球服'] }],
  ['crew-neck', { zh: ['圆领'], en: ['crewneck', 'round neck'] }],
  ['v-neck', { zh: ['V领', 'V 领', '鸡心领'], en: ['vneck'] }],
  ['long-sleeve', { zh: ['长袖'], en: ['long sleeved'] }],
  ['layering', { zh: ['打底'], en: ['base layer'] }],
  ['quick-dry', { zh: ['速干', '快干', '排汗'], en: ['quick drying', 'moisture wicking', 'sweat wicking'] }],
  ['slim', { zh: ['修身', '紧身'], en: ['slim fit', 'skinny'] }],
  ['straight', { zh: ['直筒'], en: ['straight leg'] }],
  ['wide-leg', { zh: ['阔腿'], en: ['palazzo'] }],
  ['high-rise', { zh: ['高腰'], en: ['high waisted', 'high waist'] }],
  ['tapered', { zh: ['锥形'], en: ['taper'] }],
  ['stretch', { zh: ['弹力'], en: ['stretchy'] }],
  ['midi', { zh: ['中长款', '中长'] }],
  ['maxi', { zh: ['长裙'], en: ['long dress'] }],
  ['wrap', { zh: ['裹身'], en: ['wrap dress'] }],
  ['shirt-dress', { zh: ['衬衫裙'], en: ['shirtdress'], noun: { en: 'shirt dresses', zh: '衬衫裙' } }],
  ['slip', { zh: ['吊带裙', '吊带'], en: ['slip dress', 'cami dress'], label: 'slip dress', noBare: true, noun: { en: 'slip dresses', zh: '吊带裙' } }],
  ['evening', { zh: ['晚宴', '晚礼服', '派对', '约会'], en: ['party', 'cocktail', 'date night'] }],
  ['qipao', { zh: ['旗袍'], en: ['cheongsam'], noun: { en: 'qipao dresses', zh: '旗袍' } }],
  ['festive', { zh: ['节日', '过年', '春节', '新年'], en: ['new year', 'chinese new year', 'holiday'] }],
  ['cleanser', { zh: ['洁面', '洗面奶', '洁面乳'], en: ['face wash', 'facial cleanser'], noun: { en: 'cleansers', zh: '洁面产品' } }],
  ['toner', { zh: ['爽肤水', '化妆水'], noun: { en: 'toners', zh: '爽肤水' } }],
  ['serum', { zh: ['精华', '精华液'], en: ['essence'], noun: { en: 'serums', zh: '精华' } }],
  ['moisturizer', { zh: ['面霜', '乳液', '保湿霜'], en: ['moisturiser', 'face cream'], noun: { en: 'moisturizers', zh: '面霜' } }],
  ['eye-cream', { zh: ['眼霜'], noun: { en: 'eye creams', zh: '眼霜' } }],
  ['mask', { zh: ['面膜'], en: ['sheet mask', 'face mask'], noun: { en: 'sheet masks', zh: '面膜' } }],
  ['lip-balm', { zh: ['润唇膏', '唇膏'], en: ['chapstick'], noun: { en: 'lip balms', zh: '润唇膏' } }],
  ['hydrating', { zh: ['保湿', '补水'], en: ['moisturising', 'moisturizing', 'hydration'] }],
]);

/**
 * Tags that name no feature a shopper asks for: the catalogue's groupings, category words
 * (the category entity covers those), and words other entities handle (price, gender).
 */
const UNNAMED_TAGS = new Set([
  'audio', 'electronics', 'accessories', 'tops', 'bottoms', 'outerwear', 'beauty', 'wearables', 'basics', 'casual', 'lifestyle', 'budget',
  'shoes', 'bag', 'jacket', 'jeans', 'dress', 'sneakers', 't-shirt', 'skincare', 'men', 'women', 'unisex', 'canvas', 'denim', 'down', 'fleece',
]);

/** Material words (a product made of "engineered mesh" is a mesh one), with their Chinese words. */
const MATERIAL_WORDS: ReadonlyMap<string, string[]> = new Map([
  ['cotton', ['纯棉', '全棉', '棉质', '棉的']],
  ['canvas', ['帆布']],
  ['denim', ['牛仔', '牛仔布']],
  ['linen', ['亚麻', '棉麻']],
  ['wool', ['羊毛', '美利奴', 'merino']],
  ['down', ['羽绒', 'down filled']],
  ['fleece', ['抓绒', '摇粒绒']],
  ['mesh', ['网面', '透气网']],
  ['nylon', ['尼龙']],
  ['polyester', ['涤纶', '聚酯']],
  ['silk', ['真丝', '丝绸', '桑蚕丝']],
  ['satin', ['缎面', '丝缎']],
  ['suede', ['麂皮', '翻毛皮']],
  ['titanium', ['钛', '钛合金']],
  ['aluminium', ['aluminum', '铝', '铝合金']],
  ['silicone', ['硅胶']],
  ['softshell', ['软壳']],
  ['viscose', ['粘胶', '人造丝']],
  ['modal', ['莫代尔']],
  ['lyocell', ['莱赛尔', '天丝']],
  ['spandex', ['氨纶', 'elastane']],
  ['steel', ['钢']],
]);

/** Chinese names of catalogue values (materials, ingredients, fits …): labels in Chinese replies. */
export const VALUE_ZH: ReadonlyMap<string, string> = new Map([
  // materials
  ['3-layer waterproof', '三层防水面料'], ['pu leather', '人造皮革'], ['aluminium', '铝合金'], ['combed cotton', '精梳棉'],
  ['cotton canvas', '棉帆布'], ['cotton denim', '棉质牛仔布'], ['cotton poplin', '棉府绸'], ['cotton-lyocell denim', '棉天丝牛仔布'],
  ['cotton-modal', '棉莫代尔'], ['duck down', '鸭绒'], ['engineered mesh', '工程网面'], ['fibre-reinforced polymer', '纤维增强聚合物'],
  ['full-grain leather', '头层全粒面皮革'], ['goose down', '鹅绒'], ['heavyweight cotton', '重磅棉'], ['knit', '针织'],
  ['linen-cotton', '棉麻'], ['memory foam', '记忆海绵'], ['merino wool', '美利奴羊毛'], ['mesh', '网面'], ['monofilament mesh', '单丝网面'],
  ['nylon twill', '尼龙斜纹布'], ['organic cotton', '有机棉'], ['polycarbonate', '聚碳酸酯'], ['polyester fleece', '涤纶抓绒'],
  ['polyester-spandex', '涤纶氨纶'], ['protein leather', '蛋白皮'], ['recycled canvas', '再生帆布'], ['recycled polyester', '再生涤纶'],
  ['rib knit', '罗纹针织'], ['ripstop nylon', '抗撕裂尼龙'], ['satin', '缎面'], ['selvedge denim', '赤耳牛仔布'], ['silicone', '硅胶'],
  ['silk blend', '真丝混纺'], ['softshell', '软壳面料'], ['spring steel', '弹簧钢'], ['stainless steel', '不锈钢'], ['stretch denim', '弹力牛仔布'],
  ['suede', '麂皮'], ['suede and nylon', '麂皮拼尼龙'], ['titanium', '钛'], ['titanium alloy', '钛合金'], ['viscose crepe', '粘胶绉纱'],
  ['waffle cotton', '华夫格棉'], ['waxed canvas', '油蜡帆布'], ['wool felt', '羊毛毡'],
  // material words
  ['cotton', '棉质'], ['canvas', '帆布'], ['denim', '牛仔布'], ['linen', '亚麻'], ['wool', '羊毛'], ['down', '羽绒'], ['fleece', '抓绒'],
  ['nylon', '尼龙'], ['polyester', '涤纶'], ['silk', '真丝'], ['viscose', '粘胶'], ['modal', '莫代尔'], ['lyocell', '天丝'], ['spandex', '氨纶'], ['steel', '钢'],
  // key ingredients
  ['amino acids', '氨基酸'], ['caffeine', '咖啡因'], ['centella', '积雪草'], ['ceramides', '神经酰胺'], ['chemical filters', '化学防晒剂'],
  ['green tea extract', '绿茶提取物'], ['honey', '蜂蜜'], ['hyaluronic acid', '玻尿酸'], ['niacinamide', '烟酰胺'], ['peptides', '胜肽'],
  ['retinal', '视黄醛'], ['rice extract', '大米提取物'], ['shea butter', '乳木果油'], ['vitamin c', '维生素C'], ['zinc oxide', '氧化锌'],
  // fit, connectivity, skin types, gender
  ['over-ear', '头戴式'], ['on-ear', '贴耳式'], ['in-ear', '入耳式'], ['open-ear', '开放式'],
  ['all', '各种肤质'], ['dry-sensitive', '干性及敏感肌'], ['oily-combination', '油性及混合性肌肤'],
  ['men', '男款'], ['women', '女款'], ['unisex', '中性款'],
]);

/** More words for catalogue values (ingredients mostly), by the value's lower-case spelling. */
const VALUE_SYNONYMS: ReadonlyMap<string, string[]> = new Map([
  ['amino acids', ['amino acid', '氨基酸']],
  ['caffeine', ['咖啡因']],
  ['centella', ['cica', '积雪草']],
  ['ceramides', ['ceramide', '神经酰胺']],
  ['chemical filters', ['chemical sunscreen', '化学防晒']],
  ['green tea extract', ['green tea', '绿茶']],
  ['honey', ['蜂蜜']],
  ['hyaluronic acid', ['hyaluronic', '玻尿酸', '透明质酸']],
  ['niacinamide', ['vitamin b3', '烟酰胺']],
  ['peptides', ['peptide', '胜肽', '多肽']],
  ['retinal', ['retinol', 'retinoid', 'vitamin a', '视黄醛', '视黄醇', 'a醇']],
  ['rice extract', ['rice water', '大米', '米萃']],
  ['shea butter', ['shea', '乳木果']],
  ['vitamin c', ['vit c', 'vc', '维c', '维生素c', '维他命c']],
  ['zinc oxide', ['mineral sunscreen', 'physical sunscreen', '氧化锌', '物理防晒']],
]);

/** Catalogue fields whose values a shopper may name (and how a value fits: equal, or a word of the field). */
const VALUE_KEYS: ReadonlyMap<string, 'equal' | 'word'> = new Map([
  ['brand', 'equal'],
  ['material', 'word'],
  ['keyIngredient', 'equal'],
]);

/** Labels of the attribute keys, EN and ZH. */
export const ATTRIBUTE_LABELS: ReadonlyMap<string, Label> = new Map([
  ['brand', { en: 'brand', zh: '品牌' }],
  ['color', { en: 'colour', zh: '颜色' }],
  ['size', { en: 'size', zh: '尺码' }],
  ['material', { en: 'material', zh: '材质' }],
  ['gender', { en: 'fit', zh: '款式' }],
  ['connectivity', { en: 'connection', zh: '连接方式' }],
  ['formFactor', { en: 'wearing style', zh: '佩戴方式' }],
  ['waterResistance', { en: 'water resistance', zh: '防水等级' }],
  ['skinType', { en: 'skin type', zh: '适用肤质' }],
  ['keyIngredient', { en: 'key ingredient', zh: '核心成分' }],
  ['volume', { en: 'size', zh: '规格' }],
]);

/** Category names for replies. */
export const CATEGORY_LABELS: ReadonlyMap<string, Label> = new Map([
  ['running-shoes', { en: 'running shoes', zh: '跑鞋' }],
  ['sneakers', { en: 'sneakers', zh: '休闲鞋' }],
  ['t-shirts', { en: 'T-shirts', zh: 'T恤' }],
  ['jackets', { en: 'jackets', zh: '外套' }],
  ['jeans', { en: 'jeans', zh: '牛仔裤' }],
  ['dresses', { en: 'dresses', zh: '连衣裙' }],
  ['bags', { en: 'bags', zh: '包' }],
  ['headphones', { en: 'headphones', zh: '耳机' }],
  ['smartwatches', { en: 'watches', zh: '手表' }],
  ['skincare', { en: 'skincare', zh: '护肤品' }],
]);

/** Phrases that contain a feature word but mean something else ("运动鞋" are sneakers, not a sport feature). */
const BLOCKERS = ['运动鞋', '运动休闲鞋', '运动休闲', '休闲鞋', 'shoe size', 'size guide', '尺码表', 'short sleeve', 'short sleeved', '要不要'];

const HAN = /[\u3400-\u9fff]/;
const HAN_ONLY = /^[\u3400-\u9fff]+$/;
/** A negation right before a word: "not wired", "without ANC", "non-leather", "不要有线的", "除了黑色". */
const NEGATED_EN = /(?:^|[^a-z])(?:not|no|non|without|except|never|other than|anything but|don'?t want|do not want)[\s-]*(?:[a-z]+[\s-]+)?$/i;
const NEGATED_ZH = /(?:(?<!要)不要|不是|不想要|别要|别|除了|不)\s*$/;
/** A negation earlier in the same clause of a product text ("does not remove waterproof sunscreen", "无法卸除防水型防晒"). */
const NEGATED_IN_CLAUSE = /\b(?:not|no|non|without|never|isn'?t|aren'?t|doesn'?t|won'?t)\b|无法|不能|不是|没有|并非|不可|不支持|不含/i;
const CLAUSE_END = /[.;,!?。；，！？、\n]/;

interface Term {
  key: string;
  value: string;
  phrases: string[];
  label?: Label;
  noun?: { en: string; zh: string };
}

interface Phrase {
  re: RegExp;
  /** The term's id, or '' for a blocker. */
  id: string;
  length: number;
}

interface Found {
  start: number;
  end: number;
  id: string;
  said: string;
  /** A colour or size from the attribute extractor. */
  direct?: AttributeConstraint;
}

const idOf = (key: string, value: string) => `${key}:${value.toLowerCase()}`;
const norm = (s: string) => foldWidth(s).toLowerCase().replace(/[\s\-_]+/g, ' ').trim();

function listOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

/** A product's values of one attribute (own keys only: attribute names come from shop data). */
function fieldValues(p: Pick<Product, 'attributes'>, key: string): string[] {
  const attributes = p.attributes ?? {};
  return Object.hasOwn(attributes, key) ? listOf(attributes[key]) : [];
}

/** A regular expression for one phrase: Latin words at word edges, separators loose, plurals and possessives allowed. */
function phraseRegex(phrase: string): RegExp {
  const p = norm(phrase).replace(/['’]/g, '');
  const body = p
    .split(' ')
    .map((w) => escapeRegExp(w))
    .join('[\\s\\-_]*');
  if (HAN_ONLY.test(p) && [...p].length === 1) {
    // One Han character ("皮", "钛"): only as a word of its own, never inside 皮肤, 油皮, 调皮 ….
    return new RegExp(`(?<![油干混敏头肤调顽俏橡果])${body}(?=[的款革质制面鞋包带表]|$|[\\s,.!?，。！？])`, 'g');
  }
  const latinStart = /^[a-z0-9]/.test(p);
  const latinEnd = /[a-z]$/.test(p);
  const before = latinStart ? '(?<![a-z0-9])' : '';
  const after = latinEnd ? "(?:['’]s|s['’]|['’]|es|s)?(?![a-z0-9])" : /[0-9]$/.test(p) ? '(?![a-z0-9])' : '';
  return new RegExp(`${before}${body}${after}`, 'g');
}

/** The Chinese brand names, read off the Chinese titles of each brand's products ("北境 Aero 3 …" -> 北境). */
function chineseBrands(products: Product[]): Map<string, string> {
  const titles = new Map<string, string[]>();
  for (const p of products) {
    const brand = fieldValues(p, 'brand')[0];
    if (!brand || !p.title?.zh) continue;
    const list = titles.get(brand) ?? [];
    list.push(foldWidth(p.title.zh).trim());
    titles.set(brand, list);
  }
  const out = new Map<string, string>();
  for (const [brand, list] of titles) {
    let prefix: string;
    if (list.length >= 2) {
      prefix = list.reduce((a, b) => {
        let i = 0;
        while (i < a.length && i < b.length && a[i] === b[i]) i++;
        return a.slice(0, i);
      });
    } else {
      prefix = list[0]!.includes(' ') ? list[0]!.split(' ')[0]! : '';
    }
    prefix = prefix.split(/\s/)[0] ?? '';
    prefix = prefix.replace(/[^\u3400-\u9fff·]+$/, '');
    if ([...prefix].length >= 2 && HAN.test(prefix)) out.set(brand, prefix);
  }
  return out;
}

/**
 * The catalogue indexed by the attribute terms of its products, and the extractor of the
 * attributes a shopper names. Build one per catalogue snapshot (`ProductAttributeIndex.build`).
 */
export class ProductAttributeIndex {
  private readonly terms = new Map<string, Term>();
  private readonly termsOf = new Map<string, Set<string>>();
  private readonly phrases: Phrase[] = [];
  private readonly colors: AttributeExtractor;
  private readonly zhBrands: Map<string, string>;
  private readonly described = new Map<string, Set<string>>();
  /** Per product: its title's words (EN) and character pairs (ZH). */
  private readonly titleTokens = new Map<string, Set<string>>();
  readonly products: readonly Product[];
  private readonly byId: Map<string, Product>;

  private constructor(products: Product[]) {
    this.products = products;
    this.byId = new Map(products.map((p) => [p.id, p]));
    this.zhBrands = chineseBrands(products);
    const colors = new Set<string>();
    const sizes = new Set<string>();
    for (const p of products) {
      for (const c of fieldValues(p, 'color')) colors.add(c);
      for (const s of fieldValues(p, 'size')) sizes.add(s);
    }
    this.colors = new AttributeExtractor({ colors, sizes });
    this.buildVocabulary(products);
    // Categories where some product carries a concept in a field or a tag: there the fields and
    // tags say it, and a mention in a text ("wear it under a waterproof shell") does not.
    for (const [id, c] of CONCEPTS) {
      const cats = new Set<string>();
      for (const p of products) {
        const tags = Array.isArray(p.tags) ? p.tags : [];
        if ((c.fields ?? []).some((k) => fieldValues(p, k).length > 0) || (c.tags ?? []).some((t) => tags.includes(t))) cats.add(p.category);
      }
      this.described.set(id, cats);
    }
    for (const p of products) this.termsOf.set(p.id, this.indexProduct(p));
    this.indexNames(products);
  }

  static build(products: Iterable<Product>): ProductAttributeIndex {
    return new ProductAttributeIndex([...products].filter((p) => p && typeof p.id === 'string'));
  }

  get(id: string): Product | undefined {
    return this.byId.get(id);
  }

  private addTerm(term: Term): void {
    const id = idOf(term.key, term.value);
    const existing = this.terms.get(id);
    if (existing) {
      existing.phrases.push(...term.phrases);
      return;
    }
    this.terms.set(id, { ...term, phrases: [...term.phrases] });
  }

  private buildVocabulary(products: Product[]): void {
    for (const [id, c] of CONCEPTS) this.addTerm({ key: 'feature', value: id, phrases: c.phrases, label: c.label });
    const covered = new Set([...CONCEPTS.values()].flatMap((c) => c.tags ?? []));
    const tags = new Set(products.flatMap((p) => (Array.isArray(p.tags) ? p.tags : [])));
    for (const tag of tags) {
      if (typeof tag !== 'string' || tag.trim() === '' || covered.has(tag) || UNNAMED_TAGS.has(tag)) continue;
      const extra = TAGS.get(tag);
      const phrases = [...(extra?.noBare ? [] : [tag]), ...(extra?.en ?? []), ...(extra?.zh ?? [])];
      const zh = extra?.zh[0];
      this.addTerm({ key: 'tag', value: tag, phrases, label: { en: extra?.label ?? tag.replace(/-/g, ' '), zh: zh ?? '' }, ...(extra?.noun ? { noun: extra.noun } : {}) });
    }
    for (const [key, how] of VALUE_KEYS) {
      const values = new Set(products.flatMap((p) => fieldValues(p, key)));
      for (const value of values) {
        if (value.trim() === '') continue;
        const lower = value.toLowerCase();
        const zh = key === 'brand' ? this.zhBrands.get(value) : VALUE_ZH.get(lower);
        const phrases = [value, ...(VALUE_SYNONYMS.get(lower) ?? []), ...(zh ? [zh] : [])];
        this.addTerm({ key, value, phrases, label: { en: value, zh: zh ?? '' } });
      }
      if (how === 'word') {
        for (const [word, zh] of MATERIAL_WORDS) {
          if (![...values].some((v) => hasWord(v, word))) continue;
          this.addTerm({ key, value: word, phrases: [word, ...zh], label: { en: word, zh: VALUE_ZH.get(word) ?? zh[0] ?? '' } });
        }
      }
    }
    const seen = new Set<string>();
    for (const [id, term] of this.terms) {
      for (const phrase of term.phrases) {
        const k = `${id}\u0000${norm(phrase)}`;
        if (norm(phrase) === '' || seen.has(k)) continue;
        seen.add(k);
        this.phrases.push({ re: phraseRegex(phrase), id, length: norm(phrase).length });
      }
    }
    for (const b of BLOCKERS) this.phrases.push({ re: phraseRegex(b), id: '', length: norm(b).length });
  }

  private indexNames(products: Product[]): void {
    for (const p of products) this.titleTokens.set(p.id, new Set([...titleTokens(p.title?.en ?? ''), ...titleTokens(p.title?.zh ?? '')]));
  }

  /**
   * Whether `text` names this product rather than merely resembling it: the words it shares
   * with the product's title pick out at most two products of the catalogue ("Tempo Pace 2",
   * "Rockhop", "纯研水感轻透防晒霜"), not a kind many titles share ("women's running shoes",
   * "leather bags"). A vector index's nearest product for "womens running shoes" is a kind of
   * product, not a product the shopper named.
   */
  namesProduct(productId: string, text: string): boolean {
    const own = this.titleTokens.get(productId);
    if (!own) return false;
    const shared = titleTokens(String(text ?? '')).filter((t) => own.has(t));
    if (shared.length === 0) return false;
    let titles = 0;
    for (const tokens of this.titleTokens.values()) if (shared.every((t) => tokens.has(t)) && ++titles > 2) return false;
    return true;
  }

  /** The terms a product has (fields first; tags, title and description where a field is missing). */
  private indexProduct(p: Product): Set<string> {
    const out = new Set<string>();
    const tags = new Set(Array.isArray(p.tags) ? p.tags : []);
    for (const [id, c] of CONCEPTS) if (conceptHas(c, p, tags, !this.described.get(id)?.has(p.category))) out.add(idOf('feature', id));
    for (const tag of tags) if (this.terms.has(idOf('tag', tag))) out.add(idOf('tag', tag));
    for (const [key, how] of VALUE_KEYS) {
      for (const v of fieldValues(p, key)) {
        out.add(idOf(key, v));
        if (how === 'word') for (const word of MATERIAL_WORDS.keys()) if (hasWord(v, word)) out.add(idOf(key, word));
      }
    }
    return out;
  }

  /** Whether the product has the attribute (ignoring `not`). */
  has(p: Product, c: AttributeConstraint): boolean {
    if (c.key === 'color') return colorFits(c.value, fieldValues(p, 'color'));
    if (c.key === 'size') return fieldValues(p, 'size').some((s) => s.replace(/\s+/g, '').toUpperCase() === c.value.replace(/\s+/g, '').toUpperCase());
    if (c.near && c.key === 'feature') {
      const near = CONCEPTS.get(c.value)?.near;
      if (!near) return false;
      if (near.concept) return this.termsOf.get(p.id)?.has(idOf('feature', near.concept)) ?? false;
      if (near.field) {
        const values = fieldValues(p, near.field.key);
        if (values.length === 0) return near.field.orMissing === true;
        return values.some((v) => near.field!.test.test(v));
      }
      return false;
    }
    return this.termsOf.get(p.id)?.has(idOf(c.key, c.value)) ?? false;
  }

  /** Whether a product fits the query: in the category, within the price bounds, every attribute. */
  fits(p: Product, q: ProductQuery): boolean {
    if (q.category && p.category !== q.category) return false;
    if (q.minPrice !== undefined && p.price < q.minPrice) return false;
    if (q.maxPrice !== undefined && p.price > q.maxPrice) return false;
    // Colours, sizes and brands named together are alternatives ("black or navy"); the rest must all hold.
    const anyOf = new Map<string, boolean>();
    for (const c of q.attributes) {
      const has = this.has(p, c);
      if (c.not) {
        if (has) return false;
      } else if (c.key === 'color' || c.key === 'size' || c.key === 'brand') {
        anyOf.set(c.key, (anyOf.get(c.key) ?? false) || has);
      } else if (!has) return false;
    }
    return [...anyOf.values()].every(Boolean);
  }

  /** The products in stock that fit the query, in catalogue order. */
  matching(q: ProductQuery): Product[] {
    return this.products.filter((p) => p.stock > 0 && this.fits(p, q));
  }

  /** Whether any product of the catalogue (in stock or not) has the attribute. */
  known(c: AttributeConstraint): boolean {
    return this.products.some((p) => this.has(p, c));
  }

  /**
   * The constraints that narrow the category: one that every in-stock product of the category
   * has ("running" for running shoes, "denim" for jeans) says nothing and is left out.
   */
  informative(attributes: AttributeConstraint[], category?: string): AttributeConstraint[] {
    if (!category) return attributes;
    const inCategory = this.products.filter((p) => p.category === category && p.stock > 0);
    if (inCategory.length === 0) return attributes;
    return attributes.filter((c) => c.not || c.key === 'color' || c.key === 'size' || !inCategory.every((p) => this.has(p, c)));
  }

  /**
   * What kind of product this is, as constraints: the features and tags its own title names
   * ("Sonara Silence Pro Noise-Cancelling Headphones" -> noise-cancelling; "Market Tote Bag" ->
   * tote), without its brand, materials, colours or gender. "Cheaper" or "more like this" after
   * one product is shown keeps to its kind.
   */
  kindOf(p: Product): AttributeConstraint[] {
    const named = this.extract(p.title?.en ?? '').filter((c) => !c.not && (c.key === 'feature' || c.key === 'tag') && CONCEPTS.get(c.value)?.group !== 'gender' && this.has(p, c));
    return this.informative(named.map(({ key, value }) => ({ key, value })), p.category);
  }

  /**
   * The attributes named in `text`, EN or ZH: concepts, tags, materials, ingredients, brands,
   * colours and sizes, each once, in the order they were written. `protect` spans (a product
   * the shopper named, e.g. "Quietwave Hush 700") are not read for attributes.
   */
  extract(text: string, opts: { protect?: Array<{ start: number; end: number }> } = {}): AttributeConstraint[] {
    const input = typeof text === 'string' ? foldWidth(text).slice(0, 2000) : '';
    if (input.trim() === '') return [];
    const lower = input.toLowerCase();
    const found: Found[] = [];
    for (const ph of this.phrases) {
      for (const m of matchAll(ph.re, lower)) found.push({ start: m.index, end: m.index + m[0].length, id: ph.id, said: input.slice(m.index, m.index + m[0].length) });
    }
    for (const e of this.colors.colors(input)) found.push({ start: e.start, end: e.end, id: idOf('color', e.value), said: e.text, direct: { key: 'color', value: e.value } });
    for (const e of this.colors.sizes(input)) found.push({ start: e.start, end: e.end, id: idOf('size', e.value), said: e.text, direct: { key: 'size', value: e.value } });
    const protect = opts.protect ?? [];
    const kept: Found[] = [];
    for (const f of found.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start)) {
      if (kept.some((k) => k.start < f.end && f.start < k.end)) continue;
      kept.push(f);
    }
    const out: AttributeConstraint[] = [];
    const ids = new Set<string>();
    for (const f of kept.sort((a, b) => a.start - b.start)) {
      if (f.id === '' || protect.some((p) => p.start < f.end && f.start < p.end)) continue;
      const term = this.terms.get(f.id);
      const base = f.direct ?? (term ? { key: term.key, value: term.value } : undefined);
      if (!base) continue;
      const before = input.slice(0, f.start);
      const not = HAN.test(f.said) ? NEGATED_ZH.test(before) : NEGATED_EN.test(before);
      const id = `${not ? '!' : ''}${f.id}`;
      if (ids.has(id)) continue;
      ids.add(id);
      out.push({ ...base, ...(not ? { not: true } : {}), said: f.said });
    }
    return out;
  }

  /** The constraint's name in the reply language ('' when there is none in that language). */
  label(c: AttributeConstraint, locale: Locale): string {
    if (c.implied) return '';
    const l = this.labelOf(c);
    const text = locale === 'zh' ? l.zh || (c.said && HAN.test(c.said) ? c.said : '') : l.en || c.said || c.value;
    if (!text) return '';
    if (!c.not) return text;
    return locale === 'zh' ? `非${text}` : `not ${text}`;
  }

  private labelOf(c: AttributeConstraint): Label {
    if (c.key === 'color') return { en: c.value, zh: colorName(c.value, 'zh') };
    if (c.key === 'size') return { en: `size ${c.value}`, zh: `${localizeValue('size', c.value, 'zh')}码`, post: true };
    if (c.near && c.key === 'feature') return CONCEPTS.get(c.value)?.near?.label ?? { en: c.value, zh: '' };
    if (c.key === 'brand') return { en: c.value, zh: this.zhBrands.get(c.value) ?? '' };
    return this.terms.get(idOf(c.key, c.value))?.label ?? { en: c.value, zh: VALUE_ZH.get(c.value.toLowerCase()) ?? '' };
  }

  /** Whether the English label goes after the noun ("skincare for oily skin"). */
  private isPost(c: AttributeConstraint): boolean {
    return this.labelOf(c).post === true;
  }

  /** The brand's name in the reply language (the Chinese one read off the titles). */
  brandName(brand: string, locale: Locale): string {
    return locale === 'zh' ? (this.zhBrands.get(brand) ?? brand) : brand;
  }

  /**
   * What the query asks for, as a phrase: "noise-cancelling headphones under 800 CNY",
   * "800 元以内的降噪耳机", "skincare for oily skin", "适合油性肌肤的护肤品".
   */
  describe(q: ProductQuery, locale: Locale, money: (amount: number) => string): string {
    // A kind of product the shopper named ("fitness bands", "洁面产品") is the noun; the category otherwise.
    const kind = q.attributes.find((c) => !c.not && !c.implied && this.terms.get(idOf(c.key, c.value))?.noun);
    const noun = kind ? this.terms.get(idOf(kind.key, kind.value))!.noun![locale] : q.category ? categoryLabel(q.category, locale) : locale === 'zh' ? '商品' : 'products';
    const attrs = q.attributes.filter((c) => c !== kind && !c.implied && !(c.not && c.key === 'brand'));
    if (locale === 'zh') {
      const parts = attrs.map((c) => this.label(c, 'zh')).filter(Boolean);
      const price = [q.minPrice !== undefined ? `${money(q.minPrice)}以上` : '', q.maxPrice !== undefined ? `${money(Math.ceil(q.maxPrice))}以内` : ''].filter(Boolean).join('、');
      // "降噪耳机", "800 元以内的降噪耳机", "适合油性肌肤的护肤品", "女款、黑色的跑鞋"
      const de = parts.length > 1 || parts.some((x) => [...x].length > 3);
      return `${price ? `${price}的` : ''}${parts.join('、')}${de ? '的' : ''}${noun}`;
    }
    // English adjectives: colour first ("black leather bags").
    const ordered = [...attrs.filter((c) => c.key === 'color'), ...attrs.filter((c) => c.key !== 'color')];
    const pre = ordered.filter((c) => !c.not && !this.isPost(c)).map((c) => this.label(c, 'en')).filter(Boolean);
    const post = attrs.filter((c) => !c.not && this.isPost(c)).map((c) => this.label(c, 'en')).filter(Boolean);
    const not = attrs.filter((c) => c.not).map((c) => this.label(c, 'en')).filter(Boolean);
    if (not.length > 0) post.push(`(${not.join(', ')})`);
    const price = [q.minPrice !== undefined ? `from ${money(q.minPrice)}` : '', q.maxPrice !== undefined ? `under ${money(Math.ceil(q.maxPrice))}` : ''].filter(Boolean).join(' and ');
    return [...pre, noun, ...post, price].filter(Boolean).join(' ');
  }

  /**
   * When nothing fits: loosen one constraint at a time and say which — the price bounds
   * first (nearest prices first), then an attribute's closest substitute (unisex for women's,
   * water-repellent for waterproof), then one attribute left out (`pinned` ones last, e.g.
   * what a follow-up just asked for, and assumptions after them); two at once only when no
   * single one helps; the category last. Null when even that finds nothing in stock.
   */
  relax(q: ProductQuery, opts: { pinned?: AttributeConstraint[]; exclude?: ReadonlySet<string> } = {}): Relaxation | null {
    const exclude = opts.exclude ?? new Set<string>();
    const find = (query: ProductQuery) => this.matching(query).filter((p) => !exclude.has(p.id));
    const pinned = new Set((opts.pinned ?? []).map((c) => `${c.not ? '!' : ''}${c.key}:${c.value}`));
    const keyOf = (c: AttributeConstraint) => `${c.not ? '!' : ''}${c.key}:${c.value}`;
    // Assumptions (kids' products only when asked for) go last: a named wish is loosened before them.
    const order = [...q.attributes.filter((c) => !c.implied && !pinned.has(keyOf(c))), ...q.attributes.filter((c) => !c.implied && pinned.has(keyOf(c))), ...q.attributes.filter((c) => c.implied)];
    const hasPrice = q.minPrice !== undefined || q.maxPrice !== undefined;
    const unpriced: ProductQuery = { ...(q.category ? { category: q.category } : {}), attributes: q.attributes };
    const result = (query: ProductQuery, products: Product[], change: Partial<Relaxation>): Relaxation => ({ price: false, dropped: [], category: false, ...change, query, products });

    if (hasPrice) {
      const products = find(unpriced);
      if (products.length > 0) return result(unpriced, byDistance(products, q), { price: true });
    }
    for (const c of order) {
      if (c.not || c.key !== 'feature' || !CONCEPTS.get(c.value)?.near) continue;
      const query = { ...q, attributes: q.attributes.map((x) => (x === c ? { ...x, near: true } : x)) };
      const products = find(query);
      if (products.length > 0) return result(query, products, { near: c });
    }
    for (const c of order) {
      const query = { ...q, attributes: q.attributes.filter((x) => x !== c) };
      const products = find(query);
      if (products.length > 0) return result(query, products, { dropped: [c] });
    }
    if (hasPrice) {
      for (const c of order) {
        const query = { ...unpriced, attributes: q.attributes.filter((x) => x !== c) };
        const products = find(query);
        if (products.length > 0) return result(query, byDistance(products, q), { price: true, dropped: [c] });
      }
    }
    if (q.attributes.length > 0) {
      const query: ProductQuery = { ...(q.category ? { category: q.category } : {}), attributes: [] };
      const products = find(query);
      if (products.length > 0) return result(query, hasPrice ? byDistance(products, q) : products, { price: hasPrice, dropped: [...q.attributes] });
    }
    if (q.category) {
      const query: ProductQuery = { ...q, category: undefined, attributes: q.attributes };
      delete query.category;
      const products = find(query);
      if (products.length > 0) return result(query, products, { category: true });
    }
    return null;
  }
}

/** A title's words (Latin, lower case) and Chinese character pairs. */
function titleTokens(text: string): string[] {
  const t = foldWidth(text).toLowerCase();
  const out = (t.match(/[a-z0-9]+/g) ?? []).filter((w) => w.length >= 2 || /\d/.test(w));
  for (const run of t.match(/[\u3400-\u9fff]+/g) ?? []) for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  return [...new Set(out)];
}

function byDistance(products: Product[], q: ProductQuery): Product[] {
  const distance = (p: Product) => (q.maxPrice !== undefined && p.price > q.maxPrice ? p.price - q.maxPrice : 0) + (q.minPrice !== undefined && p.price < q.minPrice ? q.minPrice - p.price : 0);
  return [...products].sort((a, b) => distance(a) - distance(b) || a.price - b.price);
}

function hasWord(value: string, word: string): boolean {
  return new RegExp(`(?<![a-z])${escapeRegExp(word.toLowerCase())}(?![a-z])`).test(value.toLowerCase());
}

/**
 * Whether the product has the concept: its fields decide where it has them; else its tags; else,
 * where its category says nothing of the concept in fields or tags (`fromText`), its title and description.
 */
function conceptHas(c: Concept, p: Product, tags: ReadonlySet<string>, fromText: boolean): boolean {
  const values = (c.fields ?? []).flatMap((k) => fieldValues(p, k));
  const tagged = (c.tags ?? []).some((t) => tags.has(t));
  if (values.length > 0 && c.field) {
    const byField = values.some((v) => c.field!.test(v));
    return c.anyOf ? byField || tagged : byField;
  }
  if (tagged) return true;
  if (c.text === false || !fromText) return false;
  return mentions(p, c.phrases);
}

const mentionCache = new WeakMap<readonly string[], RegExp[]>();

/** Whether the product's title or description mentions one of the phrases, not negated in its clause. */
function mentions(p: Product, phrases: readonly string[]): boolean {
  let res = mentionCache.get(phrases);
  if (!res) {
    res = phrases.filter((ph) => [...norm(ph)].length > 1).map(phraseRegex);
    mentionCache.set(phrases, res);
  }
  const texts = [p.title?.en, p.title?.zh, p.description?.en, p.description?.zh].filter((t): t is string => typeof t === 'string' && t !== '');
  for (const raw of texts) {
    const text = foldWidth(raw).toLowerCase();
    for (const re of res) {
      for (const m of matchAll(re, text)) {
        let from = m.index;
        while (from > 0 && !CLAUSE_END.test(text[from - 1]!)) from--;
        if (!NEGATED_IN_CLAUSE.test(text.slice(from, m.index))) return true;
      }
    }
  }
  return false;
}

/** A category's name in the reply language. */
export function categoryLabel(category: string, locale: Locale): string {
  const known = CATEGORY_LABELS.get(category);
  if (known) return known[locale];
  if (locale === 'en') return category.replace(/-/g, ' ');
  const synonyms = Object.hasOwn(CATEGORY_SYNONYMS, category) ? CATEGORY_SYNONYMS[category] ?? [] : [];
  return synonyms.find((s) => HAN_ONLY.test(s)) ?? '商品';
}

/**
 * An attribute value as a shopper reads it in the reply language: colours, materials, fits
 * and units in Chinese for Chinese replies ("Bluetooth 5.3" -> 蓝牙 5.3, "5 ATM" -> 50 米防水,
 * "42 mm" -> 42 毫米). '' when a Chinese name is unknown: an English value is never shown there.
 */
export function localizeValue(key: string, value: string, locale: Locale): string {
  if (locale === 'en') return value;
  const v = String(value).trim();
  if (key === 'color') return colorName(v, 'zh');
  if (key === 'brand') return HAN.test(v) ? v : '';
  const known = VALUE_ZH.get(v.toLowerCase());
  if (known) return known;
  if (/^[\d.]+$/.test(v) || /^(?:XXXL|XXL|XL|XS|S|M|L)$/i.test(v)) return v.toUpperCase();
  let m = /^([\d.]+)\s*mm$/i.exec(v);
  if (m) return `${m[1]} 毫米`;
  m = /^([\d.]+)\s*ml$/i.exec(v);
  if (m) return `${m[1]} 毫升`;
  m = /^([\d.]+)\s*g$/i.exec(v);
  if (m) return `${m[1]} 克`;
  m = /^([\d.]+)\s*sheets?$/i.exec(v);
  if (m) return `${m[1]} 片`;
  m = /^([\d.]+)\s*atm$/i.exec(v);
  if (m) return `${Number(m[1]) * 10} 米防水`;
  m = /^ip(\d{2})$/i.exec(v);
  if (m) return `IP${m[1]} 级防水`;
  m = /^bluetooth\s*([\d.]*)$/i.exec(v);
  if (m) return `蓝牙${m[1] ? ` ${m[1]}` : ''}`;
  m = /^([\d.]+)\s*mm\s*wired$/i.exec(v);
  if (m) return `${m[1]} 毫米有线`;
  if (/^wired$/i.test(v)) return '有线';
  return HAN.test(v) && !/[A-Za-z]{2,}/.test(v) ? v : '';
}

/** An attribute key's label in the reply language ("color" -> 颜色). */
export function attributeLabel(key: string, locale: Locale): string {
  const known = ATTRIBUTE_LABELS.get(key);
  if (known) return known[locale];
  return locale === 'en' ? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : '';
}

/** Constraints of one group exclude each other (wired/wireless, women's/men's, oily/dry skin, one colour, one size). */
export function groupOf(c: AttributeConstraint): string {
  if (c.key === 'color' || c.key === 'size' || c.key === 'brand') return c.key;
  if (c.key === 'feature') return CONCEPTS.get(c.value)?.group ?? `feature:${c.value}`;
  return `${c.key}:${c.value.toLowerCase()}`;
}
