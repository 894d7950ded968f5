import type { Entity } from '../../types.js';
import { escapeRegExp, matchAll } from './text.js';

type CountryEntity = Extract<Entity, { type: 'country' }>;
type CityEntity = Extract<Entity, { type: 'city' }>;

/**
 * A place: its canonical value, English names (matched in any case unless `exactCase`), and
 * Chinese names. English names that are also common words are left out ("Chad", "Jordan",
 * "Georgia") or matched only as written ("US", "Turkey").
 */
interface Place {
  value: string;
  en: readonly string[];
  zh: readonly string[];
  /** English names matched only exactly as written ("US" is not "us"). */
  exactCase?: readonly string[];
}

/**
 * Countries and regions by ISO 3166-1 alpha-2 code ("EU" for the Union): every one the demo
 * shop ships to (data/demo-shop/knowledge/international-shipping: Hong Kong, Macao, Taiwan,
 * Singapore, Malaysia, Japan, South Korea, Australia, New Zealand, the US, Canada, the UK,
 * Ireland and the EU's members), mainland China, and the other common destinations.
 */
export const COUNTRIES: readonly Place[] = [
  { value: 'CN', en: ['China', 'Mainland China', 'PRC', "People's Republic of China"], zh: ['中国大陆', '中国内地', '中国', '内地'] },
  { value: 'HK', en: ['Hong Kong', 'Hongkong', 'HKSAR'], zh: ['中国香港', '香港'] },
  { value: 'MO', en: ['Macao', 'Macau'], zh: ['中国澳门', '澳门'] },
  { value: 'TW', en: ['Taiwan'], zh: ['中国台湾', '台湾'] },
  { value: 'SG', en: ['Singapore'], zh: ['新加坡'] },
  { value: 'MY', en: ['Malaysia'], zh: ['马来西亚', '大马'] },
  { value: 'JP', en: ['Japan'], zh: ['日本'] },
  { value: 'KR', en: ['South Korea', 'Korea', 'Republic of Korea'], zh: ['韩国', '南韩'] },
  { value: 'KP', en: ['North Korea'], zh: ['朝鲜', '北韩'] },
  { value: 'AU', en: ['Australia'], zh: ['澳大利亚', '澳洲'] },
  { value: 'NZ', en: ['New Zealand'], zh: ['新西兰'] },
  { value: 'US', en: ['United States of America', 'United States', 'America'], zh: ['美国'], exactCase: ['US', 'USA', 'U.S.', 'U.S.A.', 'the States'] },
  { value: 'CA', en: ['Canada'], zh: ['加拿大'] },
  { value: 'GB', en: ['United Kingdom', 'Great Britain', 'Britain', 'England', 'Scotland', 'Wales', 'Northern Ireland'], zh: ['英国', '英格兰', '苏格兰'], exactCase: ['UK', 'U.K.'] },
  { value: 'IE', en: ['Ireland', 'Republic of Ireland'], zh: ['爱尔兰'] },
  { value: 'EU', en: ['European Union'], zh: ['欧盟'], exactCase: ['EU'] },
  { value: 'DE', en: ['Germany'], zh: ['德国'] },
  { value: 'FR', en: ['France'], zh: ['法国'] },
  { value: 'IT', en: ['Italy'], zh: ['意大利'] },
  { value: 'ES', en: ['Spain'], zh: ['西班牙'] },
  { value: 'NL', en: ['Netherlands', 'the Netherlands', 'Holland'], zh: ['荷兰'] },
  { value: 'BE', en: ['Belgium'], zh: ['比利时'] },
  { value: 'LU', en: ['Luxembourg'], zh: ['卢森堡'] },
  { value: 'AT', en: ['Austria'], zh: ['奥地利'] },
  { value: 'PT', en: ['Portugal'], zh: ['葡萄牙'] },
  { value: 'GR', en: ['Greece'], zh: ['希腊'] },
  { value: 'PL', en: ['Poland'], zh: ['波兰'] },
  { value: 'CZ', en: ['Czech Republic', 'Czechia'], zh: ['捷克'] },
  { value: 'SK', en: ['Slovakia'], zh: ['斯洛伐克'] },
  { value: 'SI', en: ['Slovenia'], zh: ['斯洛文尼亚'] },
  { value: 'HU', en: ['Hungary'], zh: ['匈牙利'] },
  { value: 'RO', en: ['Romania'], zh: ['罗马尼亚'] },
  { value: 'BG', en: ['Bulgaria'], zh: ['保加利亚'] },
  { value: 'HR', en: ['Croatia'], zh: ['克罗地亚'] },
  { value: 'SE', en: ['Sweden'], zh: ['瑞典'] },
  { value: 'DK', en: ['Denmark'], zh: ['丹麦'] },
  { value: 'FI', en: ['Finland'], zh: ['芬兰'] },
  { value: 'EE', en: ['Estonia'], zh: ['爱沙尼亚'] },
  { value: 'LV', en: ['Latvia'], zh: ['拉脱维亚'] },
  { value: 'LT', en: ['Lithuania'], zh: ['立陶宛'] },
  { value: 'MT', en: ['Malta'], zh: ['马耳他'] },
  { value: 'CY', en: ['Cyprus'], zh: ['塞浦路斯'] },
  { value: 'NO', en: ['Norway'], zh: ['挪威'] },
  { value: 'CH', en: ['Switzerland'], zh: ['瑞士'] },
  { value: 'IS', en: ['Iceland'], zh: ['冰岛'] },
  { value: 'TH', en: ['Thailand'], zh: ['泰国'] },
  { value: 'VN', en: ['Vietnam', 'Viet Nam'], zh: ['越南'] },
  { value: 'ID', en: ['Indonesia'], zh: ['印度尼西亚', '印尼'] },
  { value: 'PH', en: ['Philippines', 'the Philippines'], zh: ['菲律宾'] },
  { value: 'IN', en: ['India'], zh: ['印度'] },
  { value: 'MX', en: ['Mexico'], zh: ['墨西哥'] },
  { value: 'BR', en: ['Brazil'], zh: ['巴西'] },
  { value: 'AR', en: ['Argentina'], zh: ['阿根廷'] },
  { value: 'CL', en: [], zh: ['智利'], exactCase: ['Chile'] },
  { value: 'RU', en: ['Russia', 'Russian Federation'], zh: ['俄罗斯'] },
  { value: 'TR', en: ['Türkiye', 'Turkiye'], zh: ['土耳其'], exactCase: ['Turkey'] },
  { value: 'AE', en: ['United Arab Emirates', 'Emirates', 'Dubai'], zh: ['阿联酋', '迪拜'], exactCase: ['UAE'] },
  { value: 'SA', en: ['Saudi Arabia'], zh: ['沙特阿拉伯', '沙特'] },
  { value: 'IL', en: ['Israel'], zh: ['以色列'] },
  { value: 'ZA', en: ['South Africa'], zh: ['南非'] },
  { value: 'EG', en: ['Egypt'], zh: ['埃及'] },
];

/**
 * Mainland-China cities (about the 60 largest by urban population, plus the demo's warehouse
 * city and a few delivery hubs) by English name, with pinyin and Chinese names. Where two
 * cities share a pinyin (苏州/宿州, 福州/抚州, 台州/泰州) the larger is meant.
 */
export const CITIES: readonly Place[] = [
  ['Shanghai', '上海'], ['Beijing', '北京', 'Peking'], ['Chongqing', '重庆'], ['Tianjin', '天津'], ['Guangzhou', '广州'],
  ['Shenzhen', '深圳'], ['Chengdu', '成都'], ['Nanjing', '南京'], ['Wuhan', '武汉'], ["Xi'an", '西安', 'Xian', 'Xi’an'],
  ['Hangzhou', '杭州'], ['Dongguan', '东莞'], ['Foshan', '佛山'], ['Shenyang', '沈阳'], ['Harbin', '哈尔滨'],
  ['Qingdao', '青岛'], ['Dalian', '大连'], ['Jinan', '济南'], ['Zhengzhou', '郑州'], ['Changsha', '长沙'],
  ['Kunming', '昆明'], ['Changchun', '长春'], ['Urumqi', '乌鲁木齐', 'Ürümqi'], ['Shantou', '汕头'], ['Hefei', '合肥'],
  ['Shijiazhuang', '石家庄'], ['Ningbo', '宁波'], ['Taiyuan', '太原'], ['Nanning', '南宁'], ['Xiamen', '厦门', 'Amoy'],
  ['Fuzhou', '福州'], ['Suzhou', '苏州'], ['Wuxi', '无锡'], ['Changzhou', '常州'], ['Nanchang', '南昌'],
  ['Guiyang', '贵阳'], ['Lanzhou', '兰州'], ['Zibo', '淄博'], ['Tangshan', '唐山'], ['Linyi', '临沂'],
  ['Baotou', '包头'], ['Hohhot', '呼和浩特'], ['Huizhou', '惠州'], ['Zhongshan', '中山'], ['Zhuhai', '珠海'],
  ['Wenzhou', '温州'], ['Xuzhou', '徐州'], ['Yantai', '烟台'], ['Weifang', '潍坊'], ['Luoyang', '洛阳'],
  ['Haikou', '海口'], ['Sanya', '三亚'], ['Yinchuan', '银川'], ['Xining', '西宁'], ['Lhasa', '拉萨'],
  ['Jiaxing', '嘉兴'], ['Shaoxing', '绍兴'], ['Jinhua', '金华'], ['Taizhou', '台州'], ['Nantong', '南通'],
  ['Yangzhou', '扬州'], ['Quanzhou', '泉州'], ['Datong', '大同'], ['Handan', '邯郸'], ['Baoding', '保定'],
  ['Anshan', '鞍山'], ['Liuzhou', '柳州'], ['Guilin', '桂林'], ['Zhanjiang', '湛江'], ['Jiangmen', '江门'],
  ['Wuhu', '芜湖'], ['Yichang', '宜昌'], ['Xiangyang', '襄阳'], ['Zhuzhou', '株洲'], ['Huzhou', '湖州'],
  ['Ganzhou', '赣州'], ['Zunyi', '遵义'], ['Nanyang', '南阳'], ['Langfang', '廊坊'], ['Yiwu', '义乌'],
].map(([value, zh, ...more]) => ({ value: value!, en: [value!, ...more], zh: [zh!] }));

// Chinese names that begin or end other words: 长沙发 (a long sofa), 大同小异, 中山路 (a street in
// every city), 中国风 (a style), 中国银行 (a bank), 香港脚 (athlete's foot), 国内地址 (a domestic
// address), 面包头 (a bread roll), 日本料理 (a cuisine).
const ZH_NOT_AFTER: ReadonlyMap<string, string> = new Map([
  ['长沙', '发'],
  ['大同', '小'],
  ['中山', '路大装公站'],
  ['中国', '风结红移联电银人'],
  ['香港', '脚'],
  ['内地', '址'],
  ['日本', '料'],
]);
const ZH_NOT_BEFORE: ReadonlyMap<string, string> = new Map([
  ['包头', '面'],
  ['内地', '国境'],
]);
// "South America" and "Latin America" are continents, not the US; "South Korea" is longer and wins anyway.
const EN_NOT_BEFORE: ReadonlyMap<string, RegExp> = new Map([['america', /(?:south|latin|north|central)[\s-]+$/i]]);

interface Compiled {
  re: RegExp;
  exact: RegExp | undefined;
  byName: Map<string, string>;
  byExact: Map<string, string>;
}

function compile(places: readonly Place[]): Compiled {
  const byName = new Map<string, string>();
  const byExact = new Map<string, string>();
  const names: string[] = [];
  const exactNames: string[] = [];
  for (const p of places) {
    for (const n of [...p.en, ...p.zh]) {
      byName.set(n.toLowerCase(), p.value);
      names.push(n);
    }
    for (const n of p.exactCase ?? []) {
      byExact.set(n, p.value);
      exactNames.push(n);
    }
  }
  const alt = (list: string[]) =>
    list
      .sort((a, b) => b.length - a.length)
      .map((n) => {
        const p = escapeRegExp(n).replace(/\s+/g, '\\s+').replace(/['’]/g, "['’]?");
        return /^[A-Za-z]/.test(n) ? `(?<![\\p{L}\\p{N}])${p}(?![\\p{L}\\p{N}])` : p;
      })
      .join('|');
  return {
    re: new RegExp(alt(names), 'giu'),
    exact: exactNames.length > 0 ? new RegExp(alt(exactNames), 'gu') : undefined,
    byName,
    byExact,
  };
}

const COUNTRY_INDEX = compile(COUNTRIES);
const CITY_INDEX = compile(CITIES);

function norm(name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').replace(/’/g, "'");
}

function find<T extends 'country' | 'city'>(text: string, index: Compiled, type: T): Array<Extract<Entity, { type: T }>> {
  const out: Array<{ type: T; value: string; text: string; start: number; end: number }> = [];
  const push = (value: string | undefined, raw: string, start: number) => {
    const end = start + raw.length;
    if (!value || out.some((e) => e.start < end && start < e.end)) return;
    out.push({ type, value, text: raw, start, end });
  };
  for (const m of matchAll(index.re, text)) {
    const name = norm(m[0]);
    if (ZH_NOT_AFTER.get(m[0])?.includes(text[m.index + m[0].length] ?? '\u0000')) continue;
    if (ZH_NOT_BEFORE.get(m[0])?.includes(text[m.index - 1] ?? '\u0000')) continue;
    if (EN_NOT_BEFORE.get(name)?.test(text.slice(Math.max(0, m.index - 12), m.index))) continue;
    push(index.byName.get(name) ?? index.byName.get(name.replace(/'/g, '')) ?? lookupLoose(index, name), m[0], m.index);
  }
  if (index.exact) for (const m of matchAll(index.exact, text)) push(index.byExact.get(m[0]), m[0], m.index);
  return out.sort((a, b) => a.start - b.start) as Array<Extract<Entity, { type: T }>>;
}

/** A name written with or without its apostrophe ("Xi'an" as "Xian", "Xi’an"). */
function lookupLoose(index: Compiled, name: string): string | undefined {
  const bare = name.replace(/'/g, '');
  for (const [n, v] of index.byName) if (n.replace(/'/g, '') === bare) return v;
  return undefined;
}

// 港澳台 / 港澳: Hong Kong, Macao (and Taiwan) in one word; each character is its region's entity.
const HK_MO_TW = /港澳台?/g;
const BY_CHAR: ReadonlyMap<string, string> = new Map([['港', 'HK'], ['澳', 'MO'], ['台', 'TW']]);

/** Countries and regions named in EN or ZH, as ISO codes ("ship to Japan?" -> JP, "寄到香港" -> HK, "港澳台" -> HK, MO, TW). */
export function extractCountries(text: string): CountryEntity[] {
  const out = find(text, COUNTRY_INDEX, 'country');
  for (const m of matchAll(HK_MO_TW, text)) {
    if (out.some((e) => e.start < m.index + m[0].length && m.index < e.end)) continue;
    [...m[0]].forEach((c, i) => out.push({ type: 'country', value: BY_CHAR.get(c) ?? '', text: c, start: m.index + i, end: m.index + i + 1 }));
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Mainland-China cities named in pinyin or Chinese, as their English names ("寄到成都" -> Chengdu). */
export function extractCities(text: string): CityEntity[] {
  return find(text, CITY_INDEX, 'city');
}
