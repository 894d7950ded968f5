/**
 * Generates the demo shop's catalog, customers, orders, returns, campaigns and
 * interactions into data/demo-shop/. It is deterministic (a seeded PRNG and a fixed
 * "now" of 2026-11-01 12:00 Beijing time), so the committed JSON only changes when this
 * script does. The knowledge articles and agents.json are written by hand and are not
 * touched here.
 *
 * Run: npx tsx scripts/generate-demo-shop.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';

interface L {
  en: string;
  zh: string;
}

const OUT_DIR = new URL('../data/demo-shop/', import.meta.url);
/** The fixed "now" every date in the demo data is relative to. */
const NOW = Date.parse('2026-11-01T04:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// ------------------------------------------------------------------- random

/** mulberry32: tiny, fast and good enough for demo data. */
class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return at(items, Math.floor(this.next() * items.length));
  }

  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return at(items, items.length - 1)[0];
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = at(out, i);
      out[i] = at(out, j);
      out[j] = tmp;
    }
    return out;
  }

  /** `n` distinct items (or all of them when there are fewer). */
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items).slice(0, n);
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)] ?? '';
    return s;
  }
}

function at<T>(items: readonly T[], i: number): T {
  const v = items[i];
  if (v === undefined) throw new Error(`index ${i} out of range (${items.length})`);
  return v;
}

const rng = new Rng(20261101);

// ------------------------------------------------------------------ catalog

type AudienceKey = 'men' | 'women' | 'unisex';

const AUDIENCES: Record<AudienceKey, L> = {
  men: { en: "Men's", zh: '男款' },
  women: { en: "Women's", zh: '女款' },
  unisex: { en: 'Unisex', zh: '中性款' },
};

interface Material extends L {
  /** The value of `attributes.material` (or `keyIngredient` for skincare). */
  key: string;
  /** Price multiplier: leather costs more than canvas. */
  factor?: number;
}

interface ModelSpec extends L {
  /** Ties a model to one material (skincare: the star ingredient). */
  material?: Material;
}

interface Use extends L {
  /** Stored as an attribute when set (skincare: the skin type). */
  key?: string;
}

interface TypeSpec {
  title: L;
  /** Singular, lower-case, for descriptions. */
  noun: L;
  /** Appended to titles (e.g. "50 ml"). */
  suffix?: L;
  price: [number, number];
  models: Array<string | ModelSpec>;
  materials: Material[];
  uses: Use[];
  /** Second sentence of the description: fit, capacity, battery, how to use. */
  notes: L[];
  tags: string[];
  audiences?: AudienceKey[];
  /** Sizes when they do not come from the audience (watch cases). */
  sizes?: string[];
  colors?: string[];
  attributes?: Record<string, string>;
}

type Intro = (noun: L, material: L, use: L) => L;

interface CategorySpec {
  slug: string;
  prefix: string;
  brands: L[];
  colors: string[] | null;
  audiences?: AudienceKey[];
  sizes?: Partial<Record<AudienceKey, string[]>>;
  intros: Intro[];
  tags: string[];
  /** Attribute name for the material (skincare lists an ingredient). */
  materialAttribute?: string;
  /** Attribute name for the use key (skincare: skin type). */
  useAttribute?: string;
  types: Array<TypeSpec & { count?: number }>;
}

function an(phrase: string): string {
  return /^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const SHOE_SIZES: Record<AudienceKey, string[]> = {
  men: ['39', '40', '41', '42', '43', '44', '45'],
  women: ['35', '36', '37', '38', '39', '40'],
  unisex: ['36', '37', '38', '39', '40', '41', '42', '43', '44'],
};
const TOP_SIZES: Record<AudienceKey, string[]> = {
  men: ['S', 'M', 'L', 'XL', 'XXL'],
  women: ['XS', 'S', 'M', 'L', 'XL'],
  unisex: ['XS', 'S', 'M', 'L', 'XL', 'XXL'],
};

const M = {
  mesh: { key: 'engineered mesh', en: 'an engineered mesh upper', zh: '工程网布鞋面' },
  knitUpper: { key: 'knit', en: 'a breathable knit upper', zh: '透气针织鞋面' },
  recycledMeshUpper: { key: 'recycled polyester', en: 'a recycled polyester mesh upper', zh: '再生涤纶网面鞋面' },
  ripstopUpper: { key: 'ripstop nylon', en: 'a water-repellent ripstop upper', zh: '防泼水抗撕裂鞋面' },
  monofilament: { key: 'monofilament mesh', en: 'a featherweight monofilament mesh upper', zh: '超轻单丝网面鞋面' },
  canvasUpper: { key: 'cotton canvas', en: 'a 12 oz cotton canvas upper', zh: '12 盎司纯棉帆布鞋面' },
  recycledCanvasUpper: { key: 'recycled canvas', en: 'a recycled cotton canvas upper', zh: '再生棉帆布鞋面' },
  leatherUpper: { key: 'full-grain leather', en: 'a full-grain leather upper', zh: '头层牛皮鞋面', factor: 1.3 },
  veganLeatherUpper: { key: 'PU leather', en: 'a vegan PU leather upper', zh: '环保 PU 皮革鞋面' },
  suedeLeatherUpper: { key: 'suede', en: 'a suede and leather upper', zh: '麂皮拼接牛皮鞋面', factor: 1.2 },
  suedeNylonUpper: { key: 'suede and nylon', en: 'a suede and nylon upper', zh: '麂皮拼接尼龙鞋面' },
  meshSyntheticUpper: { key: 'mesh', en: 'a mesh and synthetic-leather upper', zh: '网布拼接合成革鞋面' },
  stretchKnitUpper: { key: 'knit', en: 'a stretch-knit upper', zh: '弹力针织鞋面' },
  combed: { key: 'combed cotton', en: '100% combed cotton', zh: '100% 精梳棉' },
  organic: { key: 'organic cotton', en: 'organic cotton jersey', zh: '有机棉针织面料', factor: 1.2 },
  heavyweight: { key: 'heavyweight cotton', en: '250 g/m² heavyweight cotton', zh: '250 克重磅纯棉', factor: 1.2 },
  cottonModal: { key: 'cotton-modal', en: 'a soft cotton-modal blend', zh: '柔软的棉莫代尔混纺面料' },
  recycledPolyMesh: { key: 'recycled polyester', en: 'recycled polyester mesh', zh: '再生涤纶网眼面料' },
  polySpandex: { key: 'polyester-spandex', en: 'a stretchy polyester-spandex knit', zh: '涤纶氨纶弹力针织面料' },
  waffle: { key: 'waffle cotton', en: 'waffle-knit cotton', zh: '华夫格纯棉针织面料' },
  duckDown: {
    key: 'duck down',
    en: 'a nylon shell filled with 90% white duck down (650 fill power)',
    zh: '尼龙面料和 90% 白鸭绒填充（蓬松度 650）',
  },
  gooseDown: {
    key: 'goose down',
    en: 'a recycled nylon shell filled with 90% white goose down (750 fill power)',
    zh: '再生尼龙面料和 90% 白鹅绒填充（蓬松度 750）',
    factor: 1.4,
  },
  ripstopShell: { key: 'ripstop nylon', en: 'packable ripstop nylon', zh: '可收纳的抗撕裂尼龙面料' },
  recycledPolyShell: { key: 'recycled polyester', en: 'water-repellent recycled polyester', zh: '防泼水再生涤纶面料' },
  softshell: { key: 'softshell', en: 'stretch softshell fabric with a brushed fleece lining', zh: '弹力软壳面料与磨毛抓绒内衬' },
  rain25: {
    key: '2.5-layer waterproof',
    en: 'a 2.5-layer waterproof, breathable fabric (10,000 mm)',
    zh: '2.5 层防水透气面料（防水指数 10000 mm）',
  },
  rain3: {
    key: '3-layer waterproof',
    en: 'a 3-layer waterproof shell with fully taped seams',
    zh: '全压胶的 3 层防水面料',
    factor: 1.4,
  },
  denimJacket: { key: 'cotton denim', en: '13 oz cotton denim', zh: '13 盎司纯棉牛仔布' },
  fleece: { key: 'polyester fleece', en: '200-weight recycled polyester fleece', zh: '200 克再生涤纶摇粒绒' },
  nylonTwill: { key: 'nylon twill', en: 'nylon twill with a quilted lining', zh: '尼龙斜纹面料与绗缝内衬' },
  selvedge: { key: 'selvedge denim', en: '12 oz rigid selvedge denim', zh: '12 盎司原色赤耳牛仔布', factor: 1.3 },
  stretchDenim: { key: 'stretch denim', en: '98% cotton, 2% elastane stretch denim', zh: '98% 棉、2% 氨纶的弹力牛仔布' },
  cottonDenim: { key: 'cotton denim', en: '100% cotton non-stretch denim', zh: '100% 纯棉无弹牛仔布' },
  lyocellDenim: { key: 'cotton-lyocell denim', en: 'lightweight 9 oz cotton-lyocell denim', zh: '9 盎司棉与莱赛尔混纺轻薄牛仔布' },
  linenCotton: { key: 'linen-cotton', en: 'a breathable linen-cotton blend', zh: '透气亚麻棉混纺' },
  viscose: { key: 'viscose crepe', en: 'flowing viscose crepe', zh: '垂坠感粘胶绉布' },
  poplin: { key: 'cotton poplin', en: 'crisp cotton poplin', zh: '挺括纯棉府绸' },
  satin: { key: 'satin', en: 'satin-finish polyester', zh: '缎面涤纶' },
  silk: { key: 'silk blend', en: 'a mulberry silk blend', zh: '桑蚕丝混纺', factor: 1.5 },
  merino: { key: 'merino wool', en: 'fine merino wool knit', zh: '细支美利奴羊毛针织', factor: 1.3 },
  rib: { key: 'rib knit', en: 'stretch rib knit', zh: '弹力罗纹针织' },
  bagPoly: { key: 'recycled polyester', en: '600D recycled polyester with a water-repellent coating', zh: '600D 再生涤纶（防泼水涂层）' },
  waxedCanvas: { key: 'waxed canvas', en: 'waxed cotton canvas', zh: '油蜡帆布', factor: 1.2 },
  cowhide: { key: 'full-grain leather', en: 'full-grain cowhide leather', zh: '头层牛皮', factor: 1.8 },
  bagRipstop: { key: 'ripstop nylon', en: 'lightweight ripstop nylon', zh: '轻量抗撕裂尼龙' },
  felt: { key: 'wool felt', en: 'wool felt', zh: '羊毛毡' },
  heavyCanvas: { key: 'cotton canvas', en: 'heavy cotton canvas', zh: '加厚纯棉帆布' },
} satisfies Record<string, Material>;

const CATEGORIES: CategorySpec[] = [
  {
    slug: 'running-shoes',
    prefix: 'RUN',
    brands: [
      { en: 'Swiftrun', zh: '迅跑' },
      { en: 'Peakstride', zh: '峰步' },
      { en: 'Northpace', zh: '北境' },
    ],
    colors: ['black', 'white', 'grey', 'navy', 'volt green', 'coral', 'sky blue', 'orange'],
    audiences: ['men', 'women', 'unisex'],
    sizes: SHOE_SIZES,
    tags: ['running', 'shoes'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} with ${m.en} and a responsive foam midsole, made for ${u.en}.`,
        zh: `${m.zh}搭配高回弹泡棉中底的${n.zh}，专为${u.zh}设计。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} pairs ${m.en} with a hard-wearing rubber outsole and is ideal for ${u.en}.`,
        zh: `这款${n.zh}采用${m.zh}和耐磨橡胶大底，非常适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Light and well cushioned, this ${n.en} has ${m.en} and suits ${u.en}.`,
        zh: `这款${n.zh}轻量且缓震充足，采用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Road Running Shoes', zh: '公路跑鞋' },
        noun: { en: 'road running shoe', zh: '公路跑鞋' },
        price: [399, 899],
        models: ['Aero 3', 'Flowline 2', 'Longway 4', 'Breeze 6', 'Pacer 7', 'Lumen', 'Drift', 'Ember'],
        materials: [M.mesh, M.knitUpper, M.recycledMeshUpper],
        uses: [
          { en: 'easy runs and daily training up to half-marathon distance', zh: '半马以内的日常训练和轻松跑' },
          { en: 'high-mileage weeks on asphalt', zh: '高跑量周期的柏油路训练' },
          { en: 'new runners building up to their first 10K', zh: '准备第一次 10 公里跑的新手跑者' },
        ],
        notes: [
          {
            en: 'Fits true to size with a roomy toe box; if you are between sizes, choose the larger one.',
            zh: '尺码标准，鞋头空间宽松；介于两个尺码之间时建议选大一码。',
          },
          {
            en: 'Runs slightly narrow, so runners with wide feet should go one size up.',
            zh: '鞋型偏窄，脚型偏宽或脚背较高的跑者建议选大一码。',
          },
          {
            en: 'True to size with a snug, locked-in heel; order your usual running shoe size.',
            zh: '尺码标准，后跟包裹稳固，按平时的跑鞋尺码选购即可。',
          },
        ],
        tags: ['road', 'cushioned'],
      },
      {
        title: { en: 'Trail Running Shoes', zh: '越野跑鞋' },
        noun: { en: 'trail running shoe', zh: '越野跑鞋' },
        price: [549, 1099],
        models: ['Ridge Trail 2', 'Quarry', 'Rockhop', 'Mossback', 'Summit Trail'],
        materials: [M.ripstopUpper, M.mesh],
        uses: [
          { en: 'muddy trails and rocky mountain paths', zh: '泥泞山径和碎石山路' },
          { en: 'long days in the hills and ultra-distance races', zh: '长时间山地穿越和超长距离越野赛' },
        ],
        notes: [
          {
            en: 'Fits true to size with room for thicker trail socks; the 4 mm lugs grip well on wet rock.',
            zh: '尺码标准，预留了穿厚越野袜的空间；4 mm 深齿大底在湿滑岩石上抓地可靠。',
          },
          {
            en: 'A secure, slightly narrow fit for technical terrain; wide feet should go one size up.',
            zh: '包裹稳固、鞋型略窄，适合技术路段；脚型偏宽建议选大一码。',
          },
        ],
        tags: ['trail', 'outdoor'],
      },
      {
        title: { en: 'Racing Shoes', zh: '竞速跑鞋' },
        noun: { en: 'carbon-plated racing shoe', zh: '碳板竞速跑鞋' },
        price: [899, 1599],
        models: ['Comet Elite', 'Swallow Racer', 'Velo Pro'],
        materials: [M.monofilament],
        uses: [
          { en: 'race day and fast interval sessions', zh: '比赛日和高强度间歇训练' },
          { en: '10K races through to the full marathon', zh: '10 公里到全程马拉松比赛' },
        ],
        notes: [
          {
            en: 'Race fit: snug through the midfoot and true to size; the 8 mm drop suits midfoot strikers.',
            zh: '竞速版型，中足包裹紧贴，尺码标准；8 mm 跟掌差更适合中前掌着地的跑者。',
          },
        ],
        tags: ['racing', 'carbon-plate', 'marathon'],
      },
      {
        title: { en: 'Stability Running Shoes', zh: '稳定支撑跑鞋' },
        noun: { en: 'stability running shoe', zh: '稳定支撑跑鞋' },
        price: [499, 999],
        models: ['Anchor Plus', 'Steady 3', 'Harbor', 'Keel 2'],
        materials: [M.mesh, M.knitUpper],
        uses: [
          {
            en: 'runners who overpronate and want extra support on long runs',
            zh: '足弓易塌陷（过度内旋）、长距离需要额外支撑的跑者',
          },
          { en: 'heavier runners and recovery days', zh: '体重较大的跑者和恢复跑' },
        ],
        notes: [
          {
            en: 'True to size with a wide platform and a firm medial post for support.',
            zh: '尺码标准，宽大底面配合内侧支撑片，稳定性出色。',
          },
          {
            en: 'Comes in a roomy standard width; order your usual size.',
            zh: '标准楦型，前掌空间充裕，按平时尺码选购即可。',
          },
        ],
        tags: ['stability', 'support'],
      },
    ],
  },
  {
    slug: 'sneakers',
    prefix: 'SNK',
    brands: [
      { en: 'Urbanlace', zh: '城纹' },
      { en: 'Courtline', zh: '界线' },
      { en: 'Marlow', zh: '马洛' },
    ],
    colors: ['white', 'black', 'off-white', 'navy', 'beige', 'forest green', 'burgundy', 'grey'],
    audiences: ['men', 'women', 'unisex'],
    sizes: SHOE_SIZES,
    tags: ['sneakers', 'shoes', 'casual'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} with ${m.en} and a cushioned EVA insole, great for ${u.en}.`,
        zh: `${m.zh}配缓震 EVA 鞋垫的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} features ${m.en} on a grippy rubber sole and works for ${u.en}.`,
        zh: `这款${n.zh}采用${m.zh}与防滑橡胶底，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Simple and easy to style, this ${n.en} has ${m.en} and is made for ${u.en}.`,
        zh: `简约百搭的${n.zh}，选用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Canvas Low-Top Sneakers', zh: '低帮帆布鞋' },
        noun: { en: 'canvas low-top sneaker', zh: '低帮帆布鞋' },
        price: [99, 299],
        models: ['Classic 70', 'Harbor Lo', 'Daybreak', 'Loop', 'Pebble'],
        materials: [M.canvasUpper, M.recycledCanvasUpper],
        uses: [
          { en: 'everyday wear, from the office to weekend errands', zh: '从上班通勤到周末出街的日常穿搭' },
          { en: 'casual outfits with jeans, shorts or dresses', zh: '搭配牛仔裤、短裤或连衣裙的休闲造型' },
          { en: 'summer days out', zh: '夏日出游' },
        ],
        notes: [
          {
            en: 'Fits true to size; the canvas softens and shapes to your foot after a few wears.',
            zh: '尺码标准，帆布穿几次后会变软并更贴合脚型。',
          },
          {
            en: 'Runs about half a size large; if you are between sizes, choose the smaller one.',
            zh: '鞋码偏大约半码，介于两个尺码之间时建议选小一码。',
          },
        ],
        tags: ['canvas', 'low-top'],
      },
      {
        title: { en: 'Leather Court Sneakers', zh: '皮革板鞋' },
        noun: { en: 'leather court sneaker', zh: '皮革板鞋' },
        price: [359, 899],
        models: ['Court One', 'Baseline', 'Matchpoint', 'Lawn', 'Serve'],
        materials: [M.leatherUpper, M.veganLeatherUpper, M.suedeLeatherUpper],
        uses: [
          { en: 'smart-casual outfits and the office', zh: '商务休闲和日常通勤' },
          { en: 'everyday wear with chinos or jeans', zh: '搭配休闲裤或牛仔裤的日常穿着' },
        ],
        notes: [
          {
            en: 'True to size with a structured fit; the leather relaxes after a week or two.',
            zh: '尺码标准，版型挺括，皮面穿一两周后会逐渐变得柔软。',
          },
          {
            en: 'Feels snug at first; if you have wide feet, go one size up.',
            zh: '初穿略紧，脚型偏宽建议选大一码。',
          },
        ],
        tags: ['leather', 'court'],
      },
      {
        title: { en: 'High-Top Canvas Sneakers', zh: '高帮帆布鞋' },
        noun: { en: 'high-top canvas sneaker', zh: '高帮帆布鞋' },
        price: [129, 359],
        models: ['Skyline Hi', 'Tower', 'Beacon Hi'],
        materials: [M.canvasUpper, M.recycledCanvasUpper],
        uses: [
          { en: 'street style and cooler spring days', zh: '街头风穿搭和微凉的春日' },
          { en: 'everyday wear with cropped trousers', zh: '搭配九分裤的日常穿着' },
        ],
        notes: [
          {
            en: 'Fits true to size; the padded collar supports the ankle without rubbing.',
            zh: '尺码标准，加厚鞋口包裹脚踝而不磨脚。',
          },
        ],
        tags: ['canvas', 'high-top'],
      },
      {
        title: { en: 'Retro Runners', zh: '复古跑鞋' },
        noun: { en: 'retro runner', zh: '复古跑鞋' },
        price: [399, 799],
        models: ['Retro 85', 'Jogger 92', 'Velvet Track', 'Trek Chunky'],
        materials: [M.suedeNylonUpper, M.meshSyntheticUpper],
        uses: [
          { en: 'all-day walking around town', zh: '城市漫步一整天' },
          { en: 'casual weekend outfits', zh: '周末休闲穿搭' },
        ],
        notes: [
          {
            en: 'True to size with a soft, padded tongue; the chunky sole adds about 4 cm of height.',
            zh: '尺码标准，鞋舌柔软加厚；厚底设计增高约 4 厘米。',
          },
          {
            en: 'Fits true to size and is roomier than our running shoes, so most people stay with their usual size.',
            zh: '尺码标准，比我们的专业跑鞋略宽松，大多数人按平时尺码选购即可。',
          },
        ],
        tags: ['retro', 'lifestyle'],
      },
      {
        title: { en: 'Slip-On Sneakers', zh: '一脚蹬休闲鞋' },
        noun: { en: 'slip-on sneaker', zh: '一脚蹬休闲鞋' },
        price: [129, 299],
        models: ['Easy Slip', 'Lazy Sunday', 'Dock'],
        materials: [M.canvasUpper, M.stretchKnitUpper],
        uses: [
          { en: 'travel and quick trips out, since there are no laces to tie', zh: '旅行和短途出门（无需系带，穿脱方便）' },
          { en: 'relaxed summer days', zh: '轻松的夏日时光' },
        ],
        notes: [
          {
            en: 'Fits snug and stretches slightly; order your usual size, or one size up for wide feet.',
            zh: '贴脚且略有弹性，按平时尺码选购，脚型偏宽可选大一码。',
          },
        ],
        tags: ['slip-on'],
      },
    ],
  },
  {
    slug: 't-shirts',
    prefix: 'TEE',
    brands: [
      { en: 'Lane Basics', zh: '竹径·基础' },
      { en: 'Cotton Daily', zh: '棉日常' },
      { en: 'Tidewear', zh: '潮汐' },
    ],
    colors: ['white', 'black', 'grey marl', 'navy', 'olive', 'sand', 'sky blue', 'burgundy'],
    audiences: ['men', 'women', 'unisex'],
    sizes: TOP_SIZES,
    tags: ['t-shirt', 'tops'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} in ${m.en}, made for ${u.en}.`,
        zh: `${m.zh}制成的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Cut from ${m.en}, this ${n.en} is ideal for ${u.en}.`,
        zh: `这款${n.zh}选用${m.zh}，非常适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} is made of ${m.en} and works well for ${u.en}.`,
        zh: `本款${n.zh}采用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Crew Neck T-Shirt', zh: '圆领 T 恤' },
        noun: { en: 'crew neck T-shirt', zh: '圆领 T 恤' },
        price: [39, 129],
        models: ['Everyday', 'Studio', 'Softline', 'Classic Fit', 'Essential'],
        materials: [M.combed, M.organic, M.heavyweight, M.cottonModal],
        uses: [
          { en: 'everyday wear, on its own or under a shirt', zh: '单穿或内搭的日常穿着' },
          { en: 'layering through every season', zh: '一年四季的叠穿' },
          { en: 'relaxed weekends at home and out', zh: '居家和周末外出' },
        ],
        notes: [
          {
            en: 'Regular fit and true to size; shrinkage is under 3% when washed cold.',
            zh: '常规版型，尺码标准；冷水洗涤缩水率低于 3%。',
          },
          {
            en: 'Classic regular fit; if you like a looser look, size up.',
            zh: '经典常规版型，喜欢宽松效果可选大一码。',
          },
        ],
        tags: ['crew-neck', 'basics'],
      },
      {
        title: { en: 'V-Neck T-Shirt', zh: 'V 领 T 恤' },
        noun: { en: 'V-neck T-shirt', zh: 'V 领 T 恤' },
        price: [49, 119],
        models: ['Slim V', 'Airy V'],
        materials: [M.cottonModal, M.combed],
        uses: [
          { en: 'warm days and layering under blazers', zh: '炎热天气单穿或内搭西装外套' },
          { en: 'everyday wear', zh: '日常穿着' },
        ],
        notes: [
          {
            en: 'Slim fit through the chest and waist; size up if you prefer more room.',
            zh: '胸围和腰身偏修身，喜欢宽松一些建议选大一码。',
          },
        ],
        tags: ['v-neck', 'basics'],
      },
      {
        title: { en: 'Oversized T-Shirt', zh: '宽松落肩 T 恤' },
        noun: { en: 'oversized T-shirt', zh: '宽松落肩 T 恤' },
        price: [79, 169],
        models: ['Boxy', 'Drop Shoulder', 'Weekend'],
        materials: [M.heavyweight, M.combed],
        uses: [
          { en: 'relaxed street-style outfits', zh: '休闲街头风穿搭' },
          { en: 'lazy weekends and travel days', zh: '慵懒的周末和旅行途中' },
        ],
        notes: [
          {
            en: 'Oversized fit with dropped shoulders; size down for a closer fit.',
            zh: '宽松落肩版型，想要合身一些可选小一码。',
          },
        ],
        tags: ['oversized'],
      },
      {
        title: { en: 'Graphic T-Shirt', zh: '印花 T 恤' },
        noun: { en: 'graphic T-shirt', zh: '印花 T 恤' },
        price: [79, 199],
        models: ['Mountain Print', 'Wave Print', 'City Map', 'Bamboo Print'],
        materials: [M.combed, M.organic],
        uses: [
          { en: 'casual days out and summer festivals', zh: '休闲出行和夏日音乐节' },
          { en: 'weekend outfits with jeans', zh: '搭配牛仔裤的周末造型' },
        ],
        notes: [
          {
            en: 'Regular fit; the water-based print stays soft and should be ironed inside out.',
            zh: '常规版型；水性印花手感柔软，熨烫时请翻面。',
          },
        ],
        tags: ['graphic', 'print'],
      },
      {
        title: { en: 'Quick-Dry Running T-Shirt', zh: '速干跑步 T 恤' },
        noun: { en: 'quick-dry running T-shirt', zh: '速干跑步 T 恤' },
        price: [89, 229],
        models: ['Dryline', 'Tempo Tee', 'Coolpace'],
        materials: [M.recycledPolyMesh, M.polySpandex],
        uses: [
          { en: 'running, gym sessions and hot-weather hikes', zh: '跑步、健身和夏季徒步' },
          { en: 'summer races and sweaty workouts', zh: '夏季比赛和大汗淋漓的训练' },
        ],
        notes: [
          {
            en: 'Athletic fit that sits close without clinging; true to size.',
            zh: '运动修身版型，贴身但不紧绷，尺码标准。',
          },
        ],
        tags: ['running', 'quick-dry', 'sport'],
      },
      {
        title: { en: 'Long-Sleeve T-Shirt', zh: '长袖 T 恤' },
        noun: { en: 'long-sleeve T-shirt', zh: '长袖 T 恤' },
        price: [79, 179],
        models: ['Layer LS', 'Base LS', 'Rib LS'],
        materials: [M.waffle, M.combed],
        uses: [
          { en: 'cool spring and autumn days, or as a winter base layer', zh: '春秋微凉天气单穿，或冬季打底' },
        ],
        notes: [
          {
            en: 'Regular fit with a little stretch in the cuffs; true to size.',
            zh: '常规版型，袖口略带弹性，尺码标准。',
          },
        ],
        tags: ['long-sleeve', 'layering'],
      },
    ],
  },
  {
    slug: 'jackets',
    prefix: 'JKT',
    brands: [
      { en: 'Ridgeline', zh: '山脊' },
      { en: 'Harbor & Pine', zh: '港松' },
      { en: 'Lane Basics', zh: '竹径·基础' },
    ],
    colors: ['black', 'navy', 'olive', 'khaki', 'red', 'charcoal', 'sand', 'forest green'],
    audiences: ['men', 'women', 'unisex'],
    sizes: TOP_SIZES,
    tags: ['jacket', 'outerwear'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} made from ${m.en}, built for ${u.en}.`,
        zh: `这款${n.zh}采用${m.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Made from ${m.en}, this ${n.en} is ready for ${u.en}.`,
        zh: `${n.zh}采用${m.zh}打造，适用于${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Down Jacket', zh: '羽绒服' },
        noun: { en: 'down jacket', zh: '羽绒服' },
        price: [599, 1999],
        models: ['Polar 700', 'Glacier Hooded', 'Featherlight', 'Nordic Parka'],
        materials: [M.duckDown, M.gooseDown],
        uses: [
          { en: 'northern winters down to about -20 °C', zh: '北方零下 20 ℃ 左右的严冬' },
          { en: 'cold commutes and winter city trips', zh: '寒冷天气通勤和冬季城市旅行' },
          { en: 'ski trips and snowy weekends', zh: '滑雪和雪天出行' },
        ],
        notes: [
          {
            en: 'Regular fit with room for a sweater underneath; true to size.',
            zh: '常规版型，内搭毛衣也有余量，尺码标准。',
          },
          {
            en: 'Roomy fit; if you are between sizes, take the smaller one.',
            zh: '版型偏宽松，介于两个尺码之间时建议选小一码。',
          },
        ],
        tags: ['down', 'winter', 'warm'],
      },
      {
        title: { en: 'Windbreaker', zh: '防风夹克' },
        noun: { en: 'windbreaker', zh: '防风夹克' },
        price: [199, 499],
        models: ['Gust', 'Breezeway', 'Coastline'],
        materials: [M.ripstopShell, M.recycledPolyShell],
        uses: [
          { en: 'windy spring days, cycling and light hikes', zh: '春季大风天、骑行和轻徒步' },
          { en: 'travel and breezy evenings by the sea', zh: '旅行和海边微风习习的傍晚' },
        ],
        notes: [
          {
            en: 'Relaxed fit that layers over a hoodie; it packs into its own pocket.',
            zh: '宽松版型，可套在卫衣外面；能收纳进自身口袋。',
          },
        ],
        tags: ['windproof', 'packable', 'spring'],
      },
      {
        title: { en: 'Softshell Jacket', zh: '软壳外套' },
        noun: { en: 'softshell jacket', zh: '软壳外套' },
        price: [399, 899],
        models: ['Ridgeway', 'Crag', 'Switchback'],
        materials: [M.softshell],
        uses: [
          { en: 'hiking and climbing in cool, dry weather', zh: '凉爽干燥天气里的徒步和攀登' },
          { en: 'autumn outdoor days', zh: '秋季户外活动' },
          { en: 'windy rides and changeable spring weather', zh: '大风天骑行和多变的春季天气' },
        ],
        notes: [
          {
            en: 'Athletic fit with articulated elbows; true to size.',
            zh: '立体剪裁，肘部活动自如，尺码标准。',
          },
          {
            en: 'Slim enough to wear under a rain shell, with a high collar that keeps the wind off your neck.',
            zh: '版型偏修身，可以套在防水外套里面；高领设计挡风护颈。',
          },
        ],
        tags: ['softshell', 'outdoor', 'hiking'],
      },
      {
        title: { en: 'Rain Jacket', zh: '防水夹克' },
        noun: { en: 'rain jacket', zh: '防水夹克' },
        price: [399, 1299],
        models: ['Stormline', 'Monsoon', 'Drizzle'],
        materials: [M.rain25, M.rain3],
        uses: [
          { en: 'rainy commutes and wet-weather hiking', zh: '雨天通勤和雨中徒步' },
          { en: 'plum-rain season in the south', zh: '南方梅雨季' },
        ],
        notes: [
          {
            en: 'Regular fit with space for a fleece underneath; the hood adjusts in three places.',
            zh: '常规版型，内搭抓绒也有空间；帽子三处可调节。',
          },
        ],
        tags: ['waterproof', 'rain', 'outdoor'],
      },
      {
        title: { en: 'Denim Jacket', zh: '牛仔夹克' },
        noun: { en: 'denim jacket', zh: '牛仔夹克' },
        price: [299, 599],
        models: ['Trucker', 'Indigo Classic'],
        materials: [M.denimJacket],
        colors: ['light wash', 'mid wash', 'dark indigo', 'black'],
        uses: [{ en: 'year-round layering over tees and hoodies', zh: '一年四季叠穿，内搭 T 恤或卫衣都好看' }],
        notes: [
          {
            en: 'Classic fit and true to size; the rigid denim softens with wear.',
            zh: '经典版型，尺码标准；硬挺的牛仔布越穿越软。',
          },
        ],
        tags: ['denim', 'casual'],
      },
      {
        title: { en: 'Fleece Jacket', zh: '抓绒外套' },
        noun: { en: 'fleece jacket', zh: '抓绒外套' },
        price: [199, 459],
        models: ['Cozy Grid', 'Campfire', 'Highland'],
        materials: [M.fleece],
        uses: [
          {
            en: 'chilly evenings, camping, or as a mid-layer under a shell',
            zh: '微凉的傍晚和露营，也可作为冲锋衣的中间层',
          },
          { en: 'cosy weekends at home and around town', zh: '居家和周末出门的日常保暖' },
        ],
        notes: [
          {
            en: 'Regular fit and true to size; it does not pill after washing.',
            zh: '常规版型，尺码标准；洗后不易起球。',
          },
          {
            en: 'Relaxed fit with zipped hand pockets; size down if you want it closer to the body.',
            zh: '版型略宽松，带拉链插手口袋；想要贴身一些可选小一码。',
          },
        ],
        tags: ['fleece', 'warm', 'camping'],
      },
      {
        title: { en: 'Bomber Jacket', zh: '飞行员夹克' },
        noun: { en: 'bomber jacket', zh: '飞行员夹克' },
        price: [399, 799],
        models: ['Flight', 'Hangar'],
        materials: [M.nylonTwill],
        uses: [{ en: 'autumn days in the city', zh: '秋季城市日常' }],
        notes: [
          {
            en: 'Regular fit with ribbed cuffs and hem; true to size.',
            zh: '常规版型，罗纹袖口和下摆，尺码标准。',
          },
        ],
        tags: ['bomber', 'casual'],
      },
    ],
  },
  {
    slug: 'jeans',
    prefix: 'JNS',
    brands: [
      { en: 'Indigo Mill', zh: '靛蓝工坊' },
      { en: 'Tidewear', zh: '潮汐' },
      { en: 'Lane Basics', zh: '竹径·基础' },
    ],
    colors: ['light wash', 'mid wash', 'dark indigo', 'black', 'raw indigo', 'grey'],
    audiences: ['men', 'women'],
    sizes: {
      men: ['28', '29', '30', '31', '32', '33', '34', '36'],
      women: ['24', '25', '26', '27', '28', '29', '30', '31', '32'],
    },
    tags: ['jeans', 'denim', 'bottoms'],
    intros: [
      (n, m, u) => ({
        en: `${cap(n.en)} in ${m.en}, made for ${u.en}.`,
        zh: `${m.zh}制成的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Cut from ${m.en}, these ${n.en} are ideal for ${u.en}.`,
        zh: `这款${n.zh}选用${m.zh}，非常适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Slim Jeans', zh: '修身牛仔裤' },
        noun: { en: 'slim jeans', zh: '修身牛仔裤' },
        price: [199, 499],
        models: ['Metro', 'Ink', 'Skinny 05'],
        materials: [M.stretchDenim, M.cottonDenim],
        uses: [
          { en: 'office-to-evening outfits', zh: '从通勤到晚间聚会的穿搭' },
          { en: 'everyday wear with sneakers or boots', zh: '搭配运动鞋或靴子的日常穿着' },
        ],
        notes: [
          {
            en: 'Slim through the hip and thigh with a mid rise; order your usual waist size.',
            zh: '臀部和大腿修身，中腰设计，按平时腰围尺码选购。',
          },
        ],
        tags: ['slim'],
      },
      {
        title: { en: 'Straight Jeans', zh: '直筒牛仔裤' },
        noun: { en: 'straight jeans', zh: '直筒牛仔裤' },
        price: [199, 599],
        models: ['Classic 01', 'Workwear', 'Rinse', 'Heritage'],
        materials: [M.selvedge, M.cottonDenim, M.stretchDenim],
        uses: [
          { en: 'everyday wear in every season', zh: '四季日常穿着' },
          { en: 'workwear-inspired weekend outfits', zh: '工装风的周末穿搭' },
        ],
        notes: [
          {
            en: 'Straight leg with a regular rise; rigid denim gives slightly in the waist after a few wears.',
            zh: '直筒版型，常规腰高；无弹牛仔布穿几次后腰部会略微松弛。',
          },
          {
            en: 'True to waist size with a 32-inch inseam that is easy to hem.',
            zh: '按平时腰围选购即可，内长 32 英寸，方便修改裤长。',
          },
        ],
        tags: ['straight'],
      },
      {
        title: { en: 'Relaxed Jeans', zh: '宽松牛仔裤' },
        noun: { en: 'relaxed jeans', zh: '宽松牛仔裤' },
        price: [229, 499],
        models: ['Loose 90s', 'Carpenter'],
        materials: [M.cottonDenim, M.lyocellDenim],
        uses: [{ en: 'easy-going weekend outfits', zh: '轻松随性的周末穿搭' }],
        notes: [
          {
            en: 'Roomy through the seat and thigh; if you are between waist sizes, take the smaller one.',
            zh: '臀部和大腿宽松；腰围介于两个尺码之间时建议选小一码。',
          },
        ],
        tags: ['relaxed', 'loose'],
      },
      {
        title: { en: 'Wide-Leg Jeans', zh: '阔腿牛仔裤' },
        noun: { en: 'wide-leg jeans', zh: '阔腿牛仔裤' },
        price: [229, 549],
        models: ['Palazzo', 'High-Rise Wide', 'Sailor'],
        materials: [M.lyocellDenim, M.cottonDenim],
        audiences: ['women'],
        uses: [
          { en: 'flowing summer outfits and the office', zh: '飘逸的夏日穿搭和通勤' },
          { en: 'pairing with platform shoes for extra length', zh: '搭配厚底鞋拉长腿部线条' },
        ],
        notes: [
          {
            en: 'High rise with a full-length wide leg; if you are between waist sizes, take the larger one.',
            zh: '高腰阔腿，裤长及地；腰围介于两个尺码之间时建议选大一码。',
          },
        ],
        tags: ['wide-leg', 'high-rise'],
      },
      {
        title: { en: 'Tapered Jeans', zh: '锥形牛仔裤' },
        noun: { en: 'tapered jeans', zh: '锥形牛仔裤' },
        price: [219, 499],
        models: ['Taper 02', 'Commuter Flex', 'Cropped Taper'],
        materials: [M.stretchDenim],
        uses: [
          { en: 'cycling to work and long days at a desk', zh: '骑车通勤和久坐办公' },
          { en: 'smart-casual outfits', zh: '商务休闲穿搭' },
        ],
        notes: [
          {
            en: 'Relaxed at the top and narrow at the ankle; true to waist size.',
            zh: '上宽下窄，脚口收窄，按平时腰围尺码选购即可。',
          },
        ],
        tags: ['tapered', 'stretch'],
      },
      {
        title: { en: 'Bootcut Jeans', zh: '微喇牛仔裤' },
        noun: { en: 'bootcut jeans', zh: '微喇牛仔裤' },
        price: [229, 459],
        models: ['Flare 70', 'Bootcut Classic'],
        materials: [M.stretchDenim],
        audiences: ['women'],
        uses: [{ en: 'outfits with ankle boots or heels', zh: '搭配短靴或高跟鞋的造型' }],
        notes: [
          {
            en: 'Fitted through the thigh with a gentle flare; true to waist size.',
            zh: '大腿处合身，裤脚微喇，按平时腰围尺码选购即可。',
          },
        ],
        tags: ['bootcut', 'flare'],
      },
      {
        title: { en: 'High-Rise Mom Jeans', zh: '高腰复古牛仔裤' },
        noun: { en: 'mom jeans', zh: '高腰复古牛仔裤' },
        price: [199, 399],
        models: ['Mom Fit', 'Vintage Mom', 'Paperbag'],
        materials: [M.cottonDenim],
        audiences: ['women'],
        uses: [
          { en: 'vintage-inspired everyday outfits', zh: '复古风的日常穿搭' },
          { en: 'weekend outfits with a tucked-in tee and sneakers', zh: '搭配扎进裤腰的 T 恤和运动鞋的周末造型' },
        ],
        notes: [
          {
            en: 'High rise with a relaxed hip and tapered ankle; the rigid denim runs slightly small, so size up if you are between sizes.',
            zh: '高腰设计，臀部宽松、脚口收窄；无弹面料略偏小，介于两个尺码之间建议选大一码。',
          },
          {
            en: 'Sits at the natural waist with an ankle-length leg; if you are between sizes, take the larger one.',
            zh: '腰线落在自然腰位，九分裤长露出脚踝；介于两个尺码之间建议选大一码。',
          },
        ],
        tags: ['high-rise', 'vintage'],
      },
    ],
  },
  {
    slug: 'dresses',
    prefix: 'DRS',
    brands: [
      { en: 'Mira', zh: '米拉' },
      { en: 'Qinglan', zh: '青岚' },
      { en: 'Juniper', zh: '杜松' },
    ],
    colors: ['black', 'ivory', 'sage green', 'dusty pink', 'navy', 'terracotta', 'floral print', 'sky blue'],
    audiences: ['women'],
    sizes: { women: ['XS', 'S', 'M', 'L', 'XL'] },
    tags: ['dress', 'women'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} in ${m.en}, perfect for ${u.en}.`,
        zh: `${m.zh}面料的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `Made from ${m.en}, this ${n.en} is ideal for ${u.en}.`,
        zh: `这款${n.zh}选用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Midi Dress', zh: '中长款连衣裙' },
        noun: { en: 'midi dress', zh: '中长款连衣裙' },
        price: [259, 699],
        models: ['Garden', 'Daylight', 'Afternoon', 'Pleated'],
        materials: [M.linenCotton, M.viscose, M.poplin],
        uses: [
          { en: 'office days and weekend brunches', zh: '通勤上班和周末早午餐' },
          { en: 'summer holidays', zh: '夏日度假' },
        ],
        notes: [
          {
            en: 'True to size with a relaxed waist; the belt lets you adjust the shape.',
            zh: '尺码标准，腰部宽松，可用腰带调节廓形。',
          },
          {
            en: 'Falls just below the knee on someone 165 cm tall; true to size.',
            zh: '身高 165 厘米穿着长度及膝下，尺码标准。',
          },
        ],
        tags: ['midi'],
      },
      {
        title: { en: 'Wrap Dress', zh: '裹身连衣裙' },
        noun: { en: 'wrap dress', zh: '裹身连衣裙' },
        price: [299, 699],
        models: ['Ribbon', 'Silhouette', 'Crossover'],
        materials: [M.viscose, M.satin],
        uses: [
          { en: 'weddings, dinners and evening events', zh: '婚礼、晚宴等场合' },
          { en: 'the office and after-work drinks', zh: '办公室和下班后的小聚' },
        ],
        notes: [
          {
            en: 'The wrap tie adjusts the waist, so it fits most body shapes; true to size.',
            zh: '系带裹身设计可调节腰围，适合多数身形，尺码标准。',
          },
        ],
        tags: ['wrap'],
      },
      {
        title: { en: 'Shirt Dress', zh: '衬衫裙' },
        noun: { en: 'shirt dress', zh: '衬衫裙' },
        price: [239, 559],
        models: ['Oxford', 'Poplin Belted', 'Utility'],
        materials: [M.poplin, M.linenCotton],
        uses: [
          { en: 'workdays and city sightseeing', zh: '工作日和城市观光' },
          { en: 'spring and early summer', zh: '春季和初夏' },
        ],
        notes: [
          {
            en: 'Relaxed fit with a removable belt; if you are between sizes, take the smaller one.',
            zh: '宽松版型，配可拆卸腰带；介于两个尺码之间建议选小一码。',
          },
        ],
        tags: ['shirt-dress'],
      },
      {
        title: { en: 'Slip Dress', zh: '吊带裙' },
        noun: { en: 'slip dress', zh: '吊带裙' },
        price: [199, 599],
        models: ['Evening', 'Moonlight', 'Nightfall'],
        materials: [M.satin, M.silk],
        uses: [
          { en: 'evening parties, or layering over a tee by day', zh: '晚间派对，或白天内搭 T 恤叠穿' },
          { en: 'summer nights out', zh: '夏夜出行' },
        ],
        notes: [
          {
            en: 'Bias cut with adjustable straps; it skims the body, so size up for a looser drape.',
            zh: '斜裁设计，肩带可调节；贴合身形，想要更宽松的垂感可选大一码。',
          },
        ],
        tags: ['slip', 'evening'],
      },
      {
        title: { en: 'Knit Dress', zh: '针织连衣裙' },
        noun: { en: 'knit dress', zh: '针织连衣裙' },
        price: [299, 799],
        models: ['Cosy', 'Hearth', 'Cable'],
        materials: [M.merino, M.rib],
        uses: [
          { en: 'autumn and winter days, with boots or sneakers', zh: '秋冬日常，搭配靴子或运动鞋' },
        ],
        notes: [
          {
            en: 'Body-skimming fit with plenty of stretch; true to size.',
            zh: '修身版型，弹性良好，尺码标准。',
          },
        ],
        tags: ['knit', 'winter'],
      },
      {
        title: { en: 'Maxi Dress', zh: '长款连衣裙' },
        noun: { en: 'maxi dress', zh: '长款连衣裙' },
        price: [299, 899],
        models: ['Seaside', 'Tiered', 'Boho Print'],
        materials: [M.viscose, M.linenCotton],
        uses: [
          { en: 'beach holidays and summer weddings', zh: '海边度假和夏日婚礼' },
        ],
        notes: [
          {
            en: 'Ankle length on someone 165 cm tall, with an elastic back for an easy fit.',
            zh: '身高 165 厘米穿着长度及踝，后背松紧设计，穿着轻松。',
          },
        ],
        tags: ['maxi', 'summer'],
      },
      {
        title: { en: 'Modern Qipao Dress', zh: '改良旗袍连衣裙' },
        noun: { en: 'modern qipao dress', zh: '改良旗袍连衣裙' },
        price: [399, 1299],
        models: ['Jasmine'],
        materials: [M.silk],
        uses: [
          { en: 'Spring Festival dinners, weddings and tea ceremonies', zh: '春节家宴、婚礼和茶会' },
        ],
        notes: [
          {
            en: 'Fitted through the bust and waist; check your bust measurement against the size chart before ordering.',
            zh: '胸腰处合身剪裁，下单前请对照尺码表核对胸围。',
          },
        ],
        tags: ['qipao', 'festive'],
      },
    ],
  },
  {
    slug: 'bags',
    prefix: 'BAG',
    brands: [
      { en: 'Wayfarer', zh: '行者' },
      { en: 'Juniper', zh: '杜松' },
      { en: 'Harbor & Pine', zh: '港松' },
    ],
    colors: ['black', 'navy', 'olive', 'tan', 'grey', 'burgundy', 'sand'],
    tags: ['bag', 'accessories'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} made from ${m.en}, designed for ${u.en}.`,
        zh: `${m.zh}材质的${n.zh}，专为${u.zh}设计。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} uses ${m.en} and is built for ${u.en}.`,
        zh: `这款${n.zh}采用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'Backpack', zh: '双肩包' },
        noun: { en: 'backpack', zh: '双肩包' },
        price: [199, 699],
        models: ['Daypack 20', 'Commuter 25', 'Trekker 30', 'Roll-Top'],
        materials: [M.bagPoly, M.waxedCanvas, M.bagRipstop],
        uses: [
          { en: 'daily commutes and weekend hikes', zh: '日常通勤和周末徒步' },
          { en: 'school, work and short trips', zh: '上学、上班和短途旅行' },
        ],
        notes: [
          {
            en: 'Fits a 15.6-inch laptop in a padded sleeve; the ventilated back panel stays cool on hot days.',
            zh: '软垫电脑隔层可放 15.6 英寸笔记本，背板透气，夏天背着也不闷。',
          },
          {
            en: 'Has a hidden back pocket for your passport and phone, and a luggage strap for trolley handles.',
            zh: '背部设有防盗暗袋，可放护照和手机；拉杆箱固定带方便旅行。',
          },
        ],
        tags: ['backpack', 'commute', 'laptop'],
      },
      {
        title: { en: 'Tote Bag', zh: '托特包' },
        noun: { en: 'tote bag', zh: '托特包' },
        price: [99, 499],
        models: ['Market', 'Carryall', 'Weekend'],
        materials: [M.heavyCanvas, M.cowhide, M.waxedCanvas],
        uses: [
          { en: 'work, shopping and beach days', zh: '上班、购物和海边出游' },
        ],
        notes: [
          {
            en: 'Fits a 14-inch laptop and A4 files; the shoulder straps have a 25 cm drop.',
            zh: '可放 14 英寸笔记本和 A4 文件，肩带垂落高度 25 厘米。',
          },
        ],
        tags: ['tote', 'shopping'],
      },
      {
        title: { en: 'Crossbody Bag', zh: '斜挎包' },
        noun: { en: 'crossbody bag', zh: '斜挎包' },
        price: [159, 599],
        models: ['City Sling', 'Saddle', 'Mini Pouch', 'Camera'],
        materials: [M.cowhide, M.bagRipstop, M.bagPoly],
        uses: [
          { en: 'city days and travel', zh: '城市出行和旅行' },
          { en: 'concerts and evenings out', zh: '演唱会和晚间外出' },
        ],
        notes: [
          {
            en: 'The strap adjusts from 60 to 120 cm; it holds a phone, wallet, keys and a small umbrella.',
            zh: '肩带长度 60–120 厘米可调，可放手机、钱包、钥匙和折叠伞。',
          },
        ],
        tags: ['crossbody', 'travel'],
      },
      {
        title: { en: 'Duffel Bag', zh: '旅行袋' },
        noun: { en: 'duffel bag', zh: '旅行袋' },
        price: [299, 899],
        models: ['Voyager 40L', 'Gym Duffel', 'Weekender'],
        materials: [M.bagPoly, M.waxedCanvas],
        uses: [
          { en: 'weekend trips and gym sessions', zh: '周末短途旅行和健身' },
        ],
        notes: [
          {
            en: 'A 40-litre main compartment plus a separate shoe pocket; it meets most airlines\u2019 cabin size limits.',
            zh: '40 升主仓另设独立鞋仓，符合大多数航空公司的登机行李尺寸。',
          },
        ],
        tags: ['duffel', 'travel', 'gym'],
      },
      {
        title: { en: 'Laptop Sleeve', zh: '电脑内胆包' },
        noun: { en: 'laptop sleeve', zh: '电脑内胆包' },
        price: [99, 259],
        models: ['Slim 14', 'Sleeve 16'],
        materials: [M.felt, M.bagPoly],
        uses: [
          { en: 'protecting a laptop inside a larger bag', zh: '放入大包中保护笔记本电脑' },
        ],
        notes: [
          {
            en: 'Padded on all sides for 13- to 16-inch laptops; check your laptop\u2019s dimensions against the listed inner size.',
            zh: '四周加厚防护，适用 13–16 英寸笔记本，下单前请核对电脑尺寸与内径。',
          },
        ],
        tags: ['laptop', 'sleeve'],
      },
      {
        title: { en: 'Belt Bag', zh: '腰包' },
        noun: { en: 'belt bag', zh: '腰包' },
        price: [79, 299],
        models: ['Stride', 'Festival', 'Trail'],
        materials: [M.bagRipstop, M.bagPoly],
        uses: [
          { en: 'running, festivals and hands-free travel', zh: '跑步、音乐节和旅行时解放双手' },
        ],
        notes: [
          {
            en: 'The belt fits waists from 60 to 120 cm and can also be worn across the body.',
            zh: '腰带适合 60–120 厘米腰围，也可斜挎背。',
          },
        ],
        tags: ['belt-bag', 'running'],
      },
      {
        title: { en: 'Leather Briefcase', zh: '真皮公文包' },
        noun: { en: 'leather briefcase', zh: '真皮公文包' },
        price: [899, 1399],
        models: ['Executive'],
        materials: [M.cowhide],
        uses: [
          { en: 'business travel and client meetings', zh: '商务出差和客户会议' },
        ],
        notes: [
          {
            en: 'Holds a 14-inch laptop and A4 documents; the leather develops a rich patina with use.',
            zh: '可放 14 英寸笔记本和 A4 文件，皮面使用后会自然养出光泽。',
          },
        ],
        tags: ['briefcase', 'business', 'leather'],
      },
    ],
  },
  {
    slug: 'headphones',
    prefix: 'AUD',
    brands: [
      { en: 'Sonara', zh: '声澜' },
      { en: 'Quietwave', zh: '静浪' },
      { en: 'Pulsebeat', zh: '律动' },
    ],
    colors: ['black', 'white', 'silver', 'midnight blue', 'sage green', 'blush pink'],
    tags: ['audio', 'electronics'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} with ${m.en}, made for ${u.en}.`,
        zh: `采用${m.zh}的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} has ${m.en} and is ideal for ${u.en}.`,
        zh: `这款${n.zh}配备${m.zh}，是${u.zh}的理想选择。`,
      }),
    ],
    types: [
      {
        title: { en: 'Noise-Cancelling Headphones', zh: '降噪头戴式耳机' },
        noun: { en: 'pair of noise-cancelling headphones', zh: '降噪头戴式耳机' },
        price: [599, 2499],
        models: ['Hush 700', 'Hush 500', 'Silence Pro', 'Studio ANC', 'Nightflight'],
        materials: [
          { key: 'protein leather', en: 'memory-foam ear cushions in protein leather', zh: '记忆海绵蛋白皮耳罩' },
          { key: 'aluminium', en: 'an aluminium headband and soft fabric ear cushions', zh: '铝合金头梁与亲肤织物耳罩' },
        ],
        uses: [
          { en: 'long-haul flights, open-plan offices and daily commutes', zh: '长途飞行、开放式办公室和日常通勤' },
          { en: 'focused work and study', zh: '专注工作和学习' },
        ],
        notes: [
          {
            en: 'Up to 30 hours of playback with noise cancelling on, Bluetooth 5.3, and USB-C fast charging (10 minutes for 3 hours).',
            zh: '开启降噪可连续播放约 30 小时，蓝牙 5.3，USB-C 快充 10 分钟可听 3 小时。',
          },
          {
            en: 'Folds flat into the included case and weighs about 250 g, so it stays comfortable for hours.',
            zh: '可折叠收纳进随附的耳机包，重量约 250 克，长时间佩戴依然舒适。',
          },
        ],
        tags: ['noise-cancelling', 'over-ear', 'wireless', 'travel'],
        attributes: { connectivity: 'Bluetooth 5.3', formFactor: 'over-ear' },
      },
      {
        title: { en: 'True Wireless Earbuds', zh: '真无线耳机' },
        noun: { en: 'pair of true wireless earbuds', zh: '真无线耳机' },
        price: [199, 1299],
        models: ['Buds 3', 'Buds Pro 2', 'Buds Lite', 'Pebble Buds', 'Nano'],
        materials: [
          { key: 'silicone', en: 'soft silicone ear tips in three sizes', zh: '三种尺寸的亲肤硅胶耳塞' },
          { key: 'memory foam', en: 'memory-foam ear tips for a secure seal', zh: '密封性出色的记忆海绵耳塞' },
        ],
        uses: [
          { en: 'workouts, calls and commuting', zh: '运动、通话和通勤' },
          { en: 'listening on the go', zh: '随时随地听音乐' },
        ],
        notes: [
          {
            en: 'IPX4 sweat resistant, with 6 hours per charge and 24 hours with the case.',
            zh: 'IPX4 防汗，单次续航约 6 小时，配合充电盒约 24 小时。',
          },
          {
            en: 'Pairs with two devices at once and has a five-band EQ in the companion app.',
            zh: '支持同时连接两台设备，可在配套 App 中调节五段均衡器。',
          },
        ],
        tags: ['earbuds', 'in-ear', 'wireless'],
        attributes: { connectivity: 'Bluetooth 5.3', formFactor: 'in-ear' },
      },
      {
        title: { en: 'Open-Ear Sports Earphones', zh: '开放式运动耳机' },
        noun: { en: 'pair of open-ear sports earphones', zh: '开放式运动耳机' },
        price: [299, 999],
        models: ['Runfree', 'Openair', 'Hook Sport', 'Stride'],
        materials: [
          { key: 'titanium alloy', en: 'a flexible titanium-alloy neckband', zh: '柔韧的钛合金后挂' },
          { key: 'silicone', en: 'soft-touch silicone ear hooks', zh: '亲肤硅胶耳挂' },
        ],
        uses: [
          { en: 'running and cycling while staying aware of traffic', zh: '跑步和骑行时保持对路况的感知' },
          { en: 'long office days, since nothing presses into your ears', zh: '长时间办公佩戴（不入耳，没有压迫感）' },
        ],
        notes: [
          {
            en: 'IP67 waterproof and sweat-proof with 8 hours of battery, and they leave your ear canal open.',
            zh: 'IP67 防水防汗，续航约 8 小时，不入耳，耳道保持开放。',
          },
        ],
        tags: ['open-ear', 'sport', 'running', 'wireless'],
        attributes: { connectivity: 'Bluetooth 5.3', formFactor: 'open-ear' },
      },
      {
        title: { en: 'Wired Studio Headphones', zh: '有线监听耳机' },
        noun: { en: 'pair of wired studio headphones', zh: '有线监听耳机' },
        price: [299, 1499],
        models: ['Monitor 50', 'Reference 80'],
        materials: [
          { key: 'spring steel', en: 'a spring-steel headband and replaceable velour pads', zh: '弹簧钢头梁与可更换丝绒耳垫' },
        ],
        uses: [{ en: 'mixing, podcasting and critical listening', zh: '混音、播客录制和专业监听' }],
        notes: [
          {
            en: 'Comes with a detachable 3 m coiled cable and a 6.35 mm adapter; impedance is 38 Ω.',
            zh: '附可拆卸 3 米弹簧线和 6.35 mm 转接头，阻抗 38 Ω。',
          },
        ],
        tags: ['wired', 'studio', 'over-ear'],
        attributes: { connectivity: '3.5 mm wired', formFactor: 'over-ear' },
      },
      {
        title: { en: 'Kids Headphones', zh: '儿童耳机' },
        noun: { en: 'pair of kids headphones', zh: '儿童耳机' },
        price: [129, 259],
        models: ['Kiddo', 'Little Ears'],
        materials: [
          { key: 'polycarbonate', en: 'a bendable polycarbonate headband', zh: '可弯折的聚碳酸酯头梁' },
        ],
        uses: [
          {
            en: 'tablets, online classes and car trips for children aged 3 and up',
            zh: '3 岁以上儿童用平板、上网课和乘车出行',
          },
        ],
        notes: [
          {
            en: 'Volume is limited to 85 dB to protect young ears, and the battery lasts 20 hours.',
            zh: '音量限制在 85 分贝以内保护听力，续航约 20 小时。',
          },
        ],
        tags: ['kids', 'on-ear', 'wireless'],
        attributes: { connectivity: 'Bluetooth 5.3', formFactor: 'on-ear' },
      },
      {
        title: { en: 'Neckband Earphones', zh: '颈挂式耳机' },
        noun: { en: 'pair of neckband earphones', zh: '颈挂式耳机' },
        price: [149, 399],
        models: ['Loop Neck', 'Flex Band'],
        materials: [{ key: 'silicone', en: 'a soft silicone neckband', zh: '柔软硅胶颈挂' }],
        uses: [{ en: 'commuting and the gym', zh: '通勤和健身' }],
        notes: [
          {
            en: 'The magnetic earbuds snap together when not in use; 15 hours of battery.',
            zh: '耳塞磁吸设计，不用时可吸附在一起，续航约 15 小时。',
          },
        ],
        tags: ['neckband', 'in-ear', 'wireless'],
        attributes: { connectivity: 'Bluetooth 5.3', formFactor: 'in-ear' },
      },
    ],
  },
  {
    slug: 'smartwatches',
    prefix: 'WCH',
    brands: [
      { en: 'Tempo', zh: '节拍' },
      { en: 'Summitrack', zh: '巅迹' },
      { en: 'Pulsebeat', zh: '律动' },
    ],
    colors: ['black', 'silver', 'midnight blue', 'rose gold', 'olive', 'white'],
    tags: ['wearables', 'electronics'],
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} with ${m.en}, built for ${u.en}.`,
        zh: `${m.zh}的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} comes with ${m.en} and suits ${u.en}.`,
        zh: `这款${n.zh}采用${m.zh}，适合${u.zh}。`,
      }),
    ],
    types: [
      {
        title: { en: 'GPS Running Watch', zh: 'GPS 跑步手表' },
        noun: { en: 'GPS running watch', zh: 'GPS 跑步手表' },
        price: [899, 2999],
        models: ['Pace 2', 'Pace 2 Lite', 'Pace 3 Pro', 'Marathon 5', 'Track S'],
        materials: [
          {
            key: 'fibre-reinforced polymer',
            en: 'a fibre-reinforced polymer case and a silicone strap',
            zh: '纤维增强聚合物表壳与硅胶表带',
          },
          { key: 'aluminium', en: 'an aluminium bezel and a breathable nylon strap', zh: '铝合金表圈与透气尼龙表带', factor: 1.2 },
        ],
        uses: [
          { en: 'runners training for anything from a 10K to a marathon', zh: '备战 10 公里到全程马拉松的跑者' },
          { en: 'runners who want structured training plans', zh: '需要系统化训练计划的跑者' },
        ],
        notes: [
          {
            en: 'Dual-band GPS, heart-rate and training-load tracking, and up to 14 days of battery in watch mode.',
            zh: '双频 GPS，支持心率和训练负荷监测，手表模式续航最长 14 天。',
          },
          {
            en: 'The strap fits wrists from 130 to 210 mm, and it is water resistant to 5 ATM (fine for swimming, not for diving).',
            zh: '表带适合 130–210 mm 腕围，5ATM 防水，可佩戴游泳，但不适合潜水。',
          },
        ],
        sizes: ['42 mm', '46 mm'],
        tags: ['gps', 'running', 'sport'],
        attributes: { waterResistance: '5 ATM' },
      },
      {
        title: { en: 'Smartwatch', zh: '智能手表' },
        noun: { en: 'smartwatch', zh: '智能手表' },
        price: [699, 1999],
        models: ['Vista 3', 'Vista 4', 'Vista 4 Pro', 'Aura', 'Halo Round', 'Edge'],
        materials: [
          { key: 'aluminium', en: 'an aluminium case and a sport silicone strap', zh: '铝合金表壳与运动硅胶表带' },
          { key: 'stainless steel', en: 'a stainless steel case and sapphire glass', zh: '不锈钢表壳与蓝宝石玻璃镜面', factor: 1.4 },
        ],
        uses: [
          {
            en: 'everyday health tracking, notifications and mobile payments',
            zh: '日常健康监测、消息提醒和移动支付',
          },
          { en: 'busy workdays, with calls and messages on your wrist', zh: '忙碌的工作日，来电和消息抬腕即看' },
        ],
        notes: [
          {
            en: 'AMOLED display, NFC payments, and sleep and SpO₂ tracking; it works with Android and iOS.',
            zh: 'AMOLED 屏幕，支持 NFC 支付、睡眠和血氧监测，兼容安卓和 iOS。',
          },
          {
            en: 'Battery lasts about 3 days with the always-on display, or 7 days without it.',
            zh: '开启息屏显示续航约 3 天，关闭后约 7 天。',
          },
        ],
        sizes: ['41 mm', '45 mm'],
        tags: ['smartwatch', 'health', 'nfc'],
        attributes: { waterResistance: '5 ATM' },
      },
      {
        title: { en: 'Fitness Band', zh: '运动手环' },
        noun: { en: 'fitness band', zh: '运动手环' },
        price: [149, 399],
        models: ['Band 7', 'Band 8', 'Band 8 NFC', 'Slim Band'],
        materials: [{ key: 'silicone', en: 'a soft silicone strap', zh: '柔软硅胶腕带' }],
        uses: [
          { en: 'step counting, sleep tracking and gym workouts', zh: '记录步数、睡眠监测和健身' },
          { en: 'first-time wearers who want simple health tracking', zh: '第一次尝试可穿戴设备、想简单记录健康数据的用户' },
          { en: 'pool swimming and everyday activity goals', zh: '泳池游泳和日常活动目标' },
        ],
        notes: [
          {
            en: 'Lasts up to 16 days per charge and is water resistant to 5 ATM.',
            zh: '单次充电续航最长 16 天，5ATM 防水。',
          },
          {
            en: 'Weighs only 25 g, and the strap fits wrists from 130 to 210 mm.',
            zh: '重量仅 25 克，腕带适合 130–210 mm 腕围。',
          },
        ],
        tags: ['fitness-band', 'sleep', 'budget'],
        attributes: { waterResistance: '5 ATM' },
      },
      {
        title: { en: 'Outdoor Adventure Watch', zh: '户外探险手表' },
        noun: { en: 'outdoor adventure watch', zh: '户外探险手表' },
        price: [1299, 2999],
        models: ['Summit X', 'Altitude', 'Expedition Solar'],
        materials: [
          {
            key: 'titanium',
            en: 'a titanium bezel and a 10 ATM water-resistant case',
            zh: '钛合金表圈与 10ATM 防水表壳',
          },
        ],
        uses: [
          { en: 'mountaineering, hiking and multi-day expeditions', zh: '登山、徒步和多日探险' },
          { en: 'trail runners and backcountry skiers', zh: '越野跑者和野雪爱好者' },
        ],
        notes: [
          {
            en: 'Offline topographic maps, a barometric altimeter and up to 28 days of battery with solar charging.',
            zh: '支持离线等高线地图和气压高度计，太阳能充电续航最长 28 天。',
          },
          {
            en: 'Multi-band GPS keeps the track accurate in deep valleys, and the 47 mm case is easy to read with gloves on.',
            zh: '多频 GPS 在深谷中也能准确记录轨迹，47 mm 大表盘戴手套也便于操作。',
          },
        ],
        sizes: ['47 mm'],
        tags: ['outdoor', 'gps', 'hiking'],
        attributes: { waterResistance: '10 ATM' },
      },
      {
        title: { en: 'Kids Smartwatch', zh: '儿童智能手表' },
        noun: { en: 'kids smartwatch', zh: '儿童智能手表' },
        price: [299, 799],
        models: ['Little Star', 'Buddy 2'],
        materials: [
          {
            key: 'polycarbonate',
            en: 'a tough polycarbonate case and a soft silicone strap',
            zh: '耐摔聚碳酸酯表壳与柔软硅胶表带',
          },
        ],
        uses: [
          {
            en: 'children aged 6 to 12, with video calls and location sharing',
            zh: '6–12 岁儿童，支持视频通话和定位',
          },
        ],
        notes: [
          {
            en: 'It takes a nano-SIM (not included), and parents manage contacts in the companion app.',
            zh: '需自备 nano-SIM 卡，家长可在配套 App 中管理联系人。',
          },
        ],
        tags: ['kids', 'smartwatch', 'gps'],
        attributes: { waterResistance: 'IP68' },
      },
    ],
  },
  {
    slug: 'skincare',
    prefix: 'SKN',
    brands: [
      { en: 'Dewleaf', zh: '露叶' },
      { en: 'Qingyan', zh: '青妍' },
      { en: 'Purelab', zh: '纯研' },
    ],
    colors: null,
    tags: ['skincare', 'beauty'],
    materialAttribute: 'keyIngredient',
    useAttribute: 'skinType',
    intros: [
      (n, m, u) => ({
        en: `${cap(an(n.en))} with ${m.en}, suited to ${u.en}.`,
        zh: `含${m.zh}的${n.zh}，适合${u.zh}。`,
      }),
      (n, m, u) => ({
        en: `This ${n.en} is formulated with ${m.en} for ${u.en}.`,
        zh: `这款${n.zh}添加${m.zh}，适合${u.zh}使用。`,
      }),
    ],
    types: [
      {
        title: { en: 'Gentle Cleanser', zh: '温和洁面乳' },
        noun: { en: 'gentle cleanser', zh: '洁面乳' },
        suffix: { en: ' 120 ml', zh: ' 120ml' },
        price: [69, 189],
        models: [
          { en: 'Amino Foam', zh: '氨基酸泡沫', material: { key: 'amino acids', en: 'mild amino-acid cleansers', zh: '温和氨基酸表活' } },
          { en: 'Cream', zh: '乳霜', material: { key: 'ceramides', en: 'skin-identical ceramides', zh: '仿生神经酰胺' } },
          { en: 'Rice Water', zh: '米萃', material: { key: 'rice extract', en: 'fermented rice extract', zh: '发酵大米提取物' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Massage onto damp skin morning and evening, then rinse well; on its own it does not remove waterproof sunscreen.',
            zh: '早晚取适量于湿润面部打圈按摩后冲净；单独使用无法卸除防水型防晒。',
          },
        ],
        tags: ['cleanser'],
        attributes: { volume: '120 ml' },
      },
      {
        title: { en: 'Hydrating Toner', zh: '保湿爽肤水' },
        noun: { en: 'hydrating toner', zh: '爽肤水' },
        suffix: { en: ' 200 ml', zh: ' 200ml' },
        price: [89, 229],
        models: [
          { en: 'Hyaluronic', zh: '玻尿酸', material: { key: 'hyaluronic acid', en: 'three weights of hyaluronic acid', zh: '三重分子玻尿酸' } },
          { en: 'Green Tea', zh: '绿茶', material: { key: 'green tea extract', en: 'green tea extract', zh: '绿茶提取物' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Pat into clean skin with your palms or a cotton pad; it is alcohol-free and fragrance-free.',
            zh: '洁面后用手掌或化妆棉轻拍至吸收；不含酒精和香精。',
          },
        ],
        tags: ['toner', 'hydrating'],
        attributes: { volume: '200 ml' },
      },
      {
        title: { en: 'Serum', zh: '精华液' },
        noun: { en: 'serum', zh: '精华液' },
        suffix: { en: ' 30 ml', zh: ' 30ml' },
        price: [149, 599],
        models: [
          { en: 'Vitamin C 15%', zh: '维C 15%', material: { key: 'vitamin C', en: '15% vitamin C', zh: '15% 维生素 C' } },
          { en: 'Niacinamide 10%', zh: '烟酰胺 10%', material: { key: 'niacinamide', en: '10% niacinamide and zinc', zh: '10% 烟酰胺与锌' } },
          { en: 'Peptide Firming', zh: '胜肽紧致', material: { key: 'peptides', en: 'a blend of firming peptides', zh: '复合紧致胜肽' } },
          { en: 'Ceramide Repair', zh: '神经酰胺修护', material: { key: 'ceramides', en: 'ceramides and panthenol', zh: '神经酰胺与泛醇' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Apply 2–3 drops after toner; if you are new to actives, start every other day and wear sunscreen in the daytime.',
            zh: '爽肤水后取 2–3 滴涂抹；初次使用功效成分建议隔天使用，白天请配合防晒。',
          },
        ],
        tags: ['serum'],
        attributes: { volume: '30 ml' },
      },
      {
        title: { en: 'Moisturizer', zh: '面霜' },
        noun: { en: 'moisturizer', zh: '面霜' },
        suffix: { en: ' 50 ml', zh: ' 50ml' },
        price: [129, 459],
        models: [
          { en: 'Barrier', zh: '屏障修护', material: { key: 'ceramides', en: 'ceramides and cholesterol', zh: '神经酰胺与胆固醇' } },
          { en: 'Water Gel', zh: '水感', material: { key: 'hyaluronic acid', en: 'hyaluronic acid and aloe', zh: '玻尿酸与芦荟' } },
          { en: 'Night Repair', zh: '夜间修护', material: { key: 'retinal', en: 'gentle encapsulated retinal', zh: '温和微囊视黄醛' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Use as the last step of your evening routine, or under sunscreen in the morning; it is non-comedogenic.',
            zh: '作为晚间护肤最后一步使用，或早上在防晒前使用；不易致痘配方。',
          },
        ],
        tags: ['moisturizer'],
        attributes: { volume: '50 ml' },
      },
      {
        title: { en: 'Sunscreen SPF 50+ PA++++', zh: '防晒霜 SPF50+ PA++++' },
        noun: { en: 'SPF 50+ sunscreen', zh: '防晒霜' },
        suffix: { en: ' 50 ml', zh: ' 50ml' },
        price: [89, 259],
        models: [
          { en: 'Daily Shield', zh: '日常防护', material: { key: 'chemical filters', en: 'photostable UVA/UVB filters', zh: '光稳定的 UVA/UVB 防晒剂' } },
          { en: 'Water Light', zh: '水感轻透', material: { key: 'chemical filters', en: 'lightweight, non-greasy UV filters', zh: '清爽不油腻的防晒剂' } },
          { en: 'Mineral', zh: '物理', material: { key: 'zinc oxide', en: 'zinc oxide and titanium dioxide', zh: '氧化锌与二氧化钛' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Apply generously 15 minutes before going out and reapply every 2 hours; water resistant for 40 minutes.',
            zh: '出门前 15 分钟足量涂抹，每 2 小时补涂一次；防水时效 40 分钟。',
          },
        ],
        tags: ['sunscreen', 'spf'],
        attributes: { volume: '50 ml' },
      },
      {
        title: { en: 'Eye Cream', zh: '眼霜' },
        noun: { en: 'eye cream', zh: '眼霜' },
        suffix: { en: ' 15 ml', zh: ' 15ml' },
        price: [159, 399],
        models: [
          { en: 'Bright Eye', zh: '亮眸', material: { key: 'caffeine', en: 'caffeine and vitamin K', zh: '咖啡因与维生素 K' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Tap a rice-grain amount around the orbital bone morning and night; it is ophthalmologist tested.',
            zh: '早晚取米粒大小，用无名指沿眼周骨轻点按压；已通过眼科测试。',
          },
        ],
        tags: ['eye-cream'],
        attributes: { volume: '15 ml' },
      },
      {
        title: { en: 'Sheet Masks', zh: '面膜' },
        noun: { en: 'set of sheet masks', zh: '面膜' },
        suffix: { en: ' (10 pack)', zh: ' 10片装' },
        price: [59, 149],
        models: [
          { en: 'Hydrating', zh: '补水', material: { key: 'hyaluronic acid', en: 'hyaluronic acid and glycerin', zh: '玻尿酸与甘油' } },
          { en: 'Calming', zh: '舒缓', material: { key: 'centella', en: 'centella asiatica', zh: '积雪草' } },
        ],
        materials: [],
        uses: SKIN_TYPES(),
        notes: [
          {
            en: 'Leave on for 15 minutes two or three times a week, then pat in the remaining essence.',
            zh: '每周使用 2–3 次，每次敷 15 分钟，取下后轻拍至剩余精华吸收。',
          },
        ],
        tags: ['mask'],
        attributes: { volume: '10 sheets' },
      },
      {
        title: { en: 'Lip Balm', zh: '润唇膏' },
        noun: { en: 'lip balm', zh: '润唇膏' },
        suffix: { en: ' 4.5 g', zh: ' 4.5g' },
        price: [39, 79],
        models: [
          { en: 'Honey', zh: '蜂蜜', material: { key: 'honey', en: 'honey and beeswax', zh: '蜂蜜与蜂蜡' } },
          { en: 'Shea', zh: '乳木果', material: { key: 'shea butter', en: 'shea butter and vitamin E', zh: '乳木果油与维生素 E' } },
        ],
        materials: [],
        uses: [{ key: 'all', en: 'dry, chapped lips in every season', zh: '四季干燥起皮的双唇' }],
        notes: [
          {
            en: 'Apply as often as you like; unopened it keeps for 3 years, and once opened use it within 12 months.',
            zh: '可随时涂抹；未开封保质期 3 年，开封后请在 12 个月内用完。',
          },
        ],
        tags: ['lip-balm'],
        attributes: { volume: '4.5 g' },
      },
    ],
  },
];

function SKIN_TYPES(): Use[] {
  return [
    { key: 'dry-sensitive', en: 'dry and sensitive skin', zh: '干性及敏感肌' },
    { key: 'oily-combination', en: 'oily and combination skin', zh: '油性及混合性肌肤' },
    { key: 'all', en: 'all skin types', zh: '各种肤质' },
  ];
}

interface ProductOut {
  id: string;
  category: string;
  title: L;
  description: L;
  price: number;
  currency: 'CNY';
  stock: number;
  attributes: Record<string, string | string[]>;
  tags: string[];
  imageUrl: string;
}

/** Prices end in 9 like a real shop's: 59, 459, 1299. */
function shopPrice(raw: number): number {
  if (raw < 100) return Math.max(39, Math.floor(raw / 10) * 10 + 9);
  if (raw < 1000) return Math.floor(raw / 10) * 10 - 1;
  return Math.min(2999, Math.round(raw / 100) * 100 - 1);
}

function stockLevel(): number {
  if (rng.chance(0.08)) return 0;
  const [lo, hi] = rng.weighted<[number, number]>([
    [[1, 20], 3],
    [[21, 120], 5],
    [[121, 400], 2],
  ]);
  return rng.int(lo, hi);
}

/** Chinese typesetting convention: a space between Han characters and Latin letters or digits. */
function spaceCjk(s: string): string {
  return s.replace(/([\u4e00-\u9fff])([A-Za-z0-9])/g, '$1 $2').replace(/([A-Za-z0-9%+])([\u4e00-\u9fff])/g, '$1 $2');
}

function isLatin(s: string): boolean {
  return /^[\x20-\x7e]+$/.test(s);
}

function comboKey(material: Material, use: Use, intro: number, note: L): string {
  return `${material.en}|${use.en}|${intro}|${note.en}`;
}

function buildProducts(): ProductOut[] {
  const products: ProductOut[] = [];
  for (const cat of CATEGORIES) {
    let n = 0;
    for (const type of cat.types) {
      const used = new Set<string>();
      for (const model of type.models) {
        n += 1;
        const id = `P-${cat.prefix}-${String(n).padStart(3, '0')}`;
        const brand = rng.pick(cat.brands);
        const modelL: L = typeof model === 'string' ? { en: model, zh: model } : model;
        // Pick a combination of material, use, opening and note that no sibling model has,
        // so no two products of a type read the same.
        let material: Material = typeof model !== 'string' && model.material ? model.material : rng.pick(type.materials);
        let use = rng.pick(type.uses);
        let introIndex = rng.int(0, cat.intros.length - 1);
        let note = rng.pick(type.notes);
        for (let attempt = 0; attempt < 40 && used.has(comboKey(material, use, introIndex, note)); attempt++) {
          if (typeof model === 'string' || !model.material) material = rng.pick(type.materials);
          use = rng.pick(type.uses);
          introIndex = rng.int(0, cat.intros.length - 1);
          note = rng.pick(type.notes);
        }
        used.add(comboKey(material, use, introIndex, note));
        const audiences = type.audiences ?? cat.audiences;
        const audience = audiences ? rng.pick(audiences) : undefined;
        const aud = audience ? AUDIENCES[audience] : undefined;

        const suffix = type.suffix ?? { en: '', zh: '' };
        const title: L = {
          en: `${brand.en} ${modelL.en} ${aud ? `${aud.en} ` : ''}${type.title.en}${suffix.en}`,
          zh: isLatin(modelL.zh)
            ? `${brand.zh} ${modelL.zh} ${aud?.zh ?? ''}${type.title.zh}${suffix.zh}`
            : `${brand.zh}${modelL.zh}${aud?.zh ?? ''}${type.title.zh}${suffix.zh}`,
        };
        const intro = at(cat.intros, introIndex)(type.noun, material, use);
        const description: L = { en: `${intro.en} ${note.en}`, zh: spaceCjk(`${intro.zh}${note.zh}`) };

        const [lo, hi] = type.price;
        const price = shopPrice(rng.between(lo, hi) * (material.factor ?? 1));

        const attributes: Record<string, string | string[]> = { brand: brand.en };
        const palette = type.colors ?? cat.colors;
        if (palette) attributes.color = rng.sample(palette, rng.int(1, Math.min(4, palette.length)));
        const sizes = type.sizes ?? (audience ? cat.sizes?.[audience] : undefined);
        if (sizes) attributes.size = [...sizes];
        attributes[cat.materialAttribute ?? 'material'] = material.key;
        if (cat.useAttribute && use.key) attributes[cat.useAttribute] = use.key;
        Object.assign(attributes, type.attributes ?? {});
        if (audience) attributes.gender = audience;

        const tags = [...new Set([...cat.tags, ...type.tags, ...(audience ? [audience] : [])])];
        products.push({
          id,
          category: cat.slug,
          title,
          description,
          price,
          currency: 'CNY',
          stock: stockLevel(),
          attributes,
          tags,
          imageUrl: `/demo/img/${id}.svg`,
        });
      }
    }
  }
  return products;
}

// ---------------------------------------------------------------- customers

type Zone = 'cn' | 'cn-remote' | 'regional' | 'intl';

interface Place {
  city: string;
  region?: string;
  postalCode?: string;
  country: string;
  zone: Zone;
}

interface CustomerSeed {
  name: string;
  email: string;
  locale: 'zh' | 'en';
  vip: boolean;
  phone: string;
  line1: string;
  place: Place;
}

const CN = (city: string, region: string, postalCode: string, remote = false): Place => ({
  city,
  region,
  postalCode,
  country: 'CN',
  zone: remote ? 'cn-remote' : 'cn',
});

function zh(name: string, email: string, vip: boolean, line1: string, place: Place): Omit<CustomerSeed, 'phone'> {
  return { name, email: `${email}@example.com`, locale: 'zh', vip, line1, place };
}

function en(name: string, vip: boolean, phone: string, line1: string, place: Omit<Place, 'zone'>, zone: Zone = 'intl'): CustomerSeed {
  const email = `${name.toLowerCase().replace(/ü/g, 'u').replace(/'/g, '').replace(/ /g, '.')}@example.com`;
  return { name, email, locale: 'en', vip, phone, line1, place: { ...place, zone } };
}

/** Fictional people at fictional addresses; phone numbers sit in unassigned or drama ranges. */
const CUSTOMER_SEEDS: CustomerSeed[] = [
  zh('王芳', 'wang.fang', true, '浦东新区锦绣路 1288 弄 6 号 1502 室', CN('上海市', '上海市', '200135')),
  zh('李强', 'li.qiang', false, '朝阳区望京西园三区 312 号楼 2 单元 801', CN('北京市', '北京市', '100102')),
  zh('张伟', 'zhang.wei', true, '南山区科苑南路 88 号海景花园 3 栋 1203', CN('深圳市', '广东省', '518057')),
  zh('刘洋', 'liu.yang', false, '天河区体育东路 116 号 1806 室', CN('广州市', '广东省', '510620')),
  zh('陈晓雯', 'chen.xiaowen', true, '西湖区文三路 259 号 5 幢 702 室', CN('杭州市', '浙江省', '310012')),
  zh('杨帆', 'yang.fan', false, '武侯区桐梓林北路 21 号 4 栋 1601', CN('成都市', '四川省', '610041')),
  zh('赵敏', 'zhao.min', false, '鼓楼区广州路 183 号 2 单元 502', CN('南京市', '江苏省', '210024')),
  zh('黄磊', 'huang.lei', false, '洪山区珞喻路 726 号 9 栋 1102', CN('武汉市', '湖北省', '430074')),
  zh('周婷', 'zhou.ting', true, '工业园区星湖街 328 号 15 幢 903 室', CN('苏州市', '江苏省', '215123')),
  zh('吴昊', 'wu.hao', false, '雁塔区小寨西路 58 号 3 号楼 1402', CN('西安市', '陕西省', '710061')),
  zh('徐丽', 'xu.li', false, '渝北区金开大道 99 号 6 栋 2103', CN('重庆市', '重庆市', '401122')),
  zh('孙浩然', 'sun.haoran', false, '南开区鞍山西道 300 号 1 门 604', CN('天津市', '天津市', '300193')),
  zh('马骁', 'ma.xiao', false, '南岗区西大直街 92 号 2 单元 1001', CN('哈尔滨市', '黑龙江省', '150001')),
  zh('朱琳', 'zhu.lin', false, '思明区莲前西路 2 号 12 楼 A 座', CN('厦门市', '福建省', '361009')),
  zh('胡斌', 'hu.bin', false, '岳麓区麓山南路 932 号 7 栋 305', CN('长沙市', '湖南省', '410083')),
  zh('郭佳怡', 'guo.jiayi', true, '市南区香港中路 76 号 1 号楼 2201', CN('青岛市', '山东省', '266071')),
  zh('何俊', 'he.jun', false, '五华区东风西路 118 号 8 栋 1506', CN('昆明市', '云南省', '650031')),
  zh('高雅', 'gao.ya', false, '中山区人民路 23 号 5 单元 1803', CN('大连市', '辽宁省', '116001')),
  zh('林晓峰', 'lin.xiaofeng', false, '鼓楼区五四路 158 号 3 座 1207', CN('福州市', '福建省', '350003')),
  zh('罗欣', 'luo.xin', false, '金水区农业路 41 号 6 号楼 902', CN('郑州市', '河南省', '450008')),
  zh('梁伟杰', 'liang.weijie', false, '禅城区季华五路 10 号 2 座 1609', CN('佛山市', '广东省', '528000')),
  zh('宋佳', 'song.jia', false, '历下区泺源大街 150 号 4 单元 701', CN('济南市', '山东省', '250011')),
  zh('郑凯', 'zheng.kai', false, '鄞州区天童南路 588 号 11 幢 1204', CN('宁波市', '浙江省', '315100')),
  zh('谢雨桐', 'xie.yutong', false, '静安区江宁路 631 弄 9 号 402 室', CN('上海市', '上海市', '200041')),
  zh('韩冬', 'han.dong', false, '道里区中央大街 45 号 3 单元 602', CN('哈尔滨市', '黑龙江省', '150010')),
  zh('唐思远', 'tang.siyuan', true, '海淀区中关村南大街 27 号 6 号楼 1108', CN('北京市', '北京市', '100081')),
  zh('冯晓', 'feng.xiao', false, '和平区南京北街 206 号 2 单元 1501', CN('沈阳市', '辽宁省', '110001')),
  zh('邓琪', 'deng.qi', false, '青秀区民族大道 136 号 5 栋 808', CN('南宁市', '广西壮族自治区', '530022')),
  zh('曹阳', 'cao.yang', false, '天山区解放北路 90 号 3 单元 401', CN('乌鲁木齐市', '新疆维吾尔自治区', '830002', true)),
  zh('彭雪', 'peng.xue', false, '朝阳区人民大街 5988 号 2 栋 1302', CN('长春市', '吉林省', '130022')),
  zh('曾子豪', 'zeng.zihao', false, '南城街道鸿福路 106 号 1 栋 2405', CN('东莞市', '广东省', '523071')),
  zh('许晴', 'xu.qing', false, '拱墅区莫干山路 111 号 3 幢 1001 室', CN('杭州市', '浙江省', '310005')),
  zh('达瓦', 'dawa', false, '城关区北京中路 36 号 2 单元 301', CN('拉萨市', '西藏自治区', '850000', true)),
]
  .map((c, i): CustomerSeed => ({ ...c, phone: `+86 138 0000 ${String(i + 1).padStart(4, '0')}` }))
  .concat([
    en('Emily Carter', true, '+44 7700 900101', '14 Albion Street', { city: 'London', postalCode: 'W2 2AS', country: 'GB' }),
    en('James Wilson', false, '+61 491 570 110', '27 Bay Road', { city: 'Sydney', region: 'NSW', postalCode: '2000', country: 'AU' }),
    en('Sophie Martin', false, '+1 416 555 0142', '88 Queen Street West, Apt 1203', { city: 'Toronto', region: 'ON', postalCode: 'M5H 2M9', country: 'CA' }),
    en('Michael Brown', false, '+1 415 555 0187', '1450 Larkin Street, Apt 6', { city: 'San Francisco', region: 'CA', postalCode: '94109', country: 'US' }),
    en('Olivia Smith', false, '+64 21 555 0123', '9 Ponsonby Terrace', { city: 'Auckland', postalCode: '1011', country: 'NZ' }),
    en('Daniel Lee', true, '+852 5550 0118', 'Flat 12B, 33 Caine Road, Mid-Levels', { city: 'Hong Kong', region: 'Hong Kong Island', country: 'HK' }, 'regional'),
    en('Grace Lin', false, '+65 8555 0134', '21 Tiong Bahru Road, #05-12', { city: 'Singapore', postalCode: '168729', country: 'SG' }),
    en('Kevin Wong', false, '+852 5550 0167', 'Room 1806, 8 Nathan Road, Tsim Sha Tsui', { city: 'Hong Kong', region: 'Kowloon', country: 'HK' }, 'regional'),
    en('Hannah Müller', false, '+49 30 5550 1042', 'Kastanienallee 41', { city: 'Berlin', postalCode: '10435', country: 'DE' }),
    en('Lucas de Vries', false, '+31 6 5550 1271', 'Prinsengracht 512-2', { city: 'Amsterdam', postalCode: '1017 KH', country: 'NL' }),
    en('Chloe Tan', false, '+60 12 555 0193', '18 Jalan Bangsar, Unit 9-3', { city: 'Kuala Lumpur', postalCode: '59200', country: 'MY' }),
    en("Ryan O'Connor", false, '+353 20 910 1234', '5 Pembroke Lane', { city: 'Dublin', postalCode: 'D04 X2Y1', country: 'IE' }),
    en('Aisha Rahman', false, '+65 8555 0178', '7 Holland Grove Drive, #03-04', { city: 'Singapore', postalCode: '278789', country: 'SG' }),
    en('Ben Taylor', false, '+61 491 570 156', '310 Lygon Street', { city: 'Melbourne', region: 'VIC', postalCode: '3053', country: 'AU' }),
    en('Mia Johnson', true, '+1 212 555 0119', '245 West 72nd Street, Apt 4C', { city: 'New York', region: 'NY', postalCode: '10023', country: 'US' }),
    en('Yuki Sato', false, '+81 90 5550 1188', '2-14-3 Ebisu, Shibuya-ku', { city: 'Tokyo', postalCode: '150-0013', country: 'JP' }),
    en('Jason Chen', false, '+886 955 550 128', '6F, No. 120, Section 4, Zhongxiao East Road', { city: 'Taipei', region: "Da'an District", postalCode: '106', country: 'TW' }, 'regional'),
  ]);

interface CustomerOut {
  id: string;
  displayName: string;
  email: string;
  phone: string;
  locale: 'zh' | 'en';
  vip: boolean;
  tags: string[];
  identities: Array<{ channel: 'web' | 'wechat' | 'app'; externalId: string }>;
}

interface CustomerCtx {
  out: CustomerOut;
  seed: CustomerSeed;
  /** Categories this shopper buys and browses most. */
  affinity: string[];
  weight: number;
}

const AFFINITY_TAG: Record<string, string> = {
  'running-shoes': 'runner',
  sneakers: 'streetwear',
  't-shirts': 'fashion',
  jackets: 'outdoor',
  jeans: 'fashion',
  dresses: 'fashion',
  bags: 'travel',
  headphones: 'tech',
  smartwatches: 'tech',
  skincare: 'skincare',
};

function buildCustomers(): CustomerCtx[] {
  const slugs = CATEGORIES.map((c) => c.slug);
  return CUSTOMER_SEEDS.map((seed, i) => {
    const id = `cus_demo_${String(i + 1).padStart(3, '0')}`;
    const affinity = rng.sample(slugs, rng.int(2, 3));
    const identities: CustomerOut['identities'] = [];
    const count = rng.weighted<number>([
      [0, 2],
      [1, 5],
      [2, 3],
    ]);
    const channels: Array<'web' | 'wechat' | 'app'> =
      seed.locale === 'zh' ? rng.shuffle(['wechat', 'wechat', 'app', 'web']) : rng.shuffle(['web', 'app', 'web', 'wechat']);
    for (const channel of [...new Set(channels)].slice(0, count)) {
      const externalId =
        channel === 'wechat'
          ? `oWx_demo_${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 19)}`
          : channel === 'web'
            ? `web_demo_${rng.chars('0123456789abcdef', 16)}`
            : `app_demo_${rng.digits(8)}`;
      identities.push({ channel, externalId });
    }
    const tags = [...new Set(affinity.map((a) => AFFINITY_TAG[a] ?? a))];
    if (seed.place.country !== 'CN') tags.push('international');
    return {
      out: {
        id,
        displayName: seed.name,
        email: seed.email,
        phone: seed.phone,
        locale: seed.locale,
        vip: seed.vip,
        tags,
        identities,
      },
      seed,
      affinity,
      weight: seed.vip ? 3 : rng.pick([0.5, 1, 1, 1.5, 2]),
    };
  });
}

// ------------------------------------------------------------------- orders

type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled' | 'returned' | 'refunded';

interface OrderOut {
  number: string;
  customerId: string;
  status: OrderStatus;
  items: Array<{ productId: string; title: string; quantity: number; unitPrice: number }>;
  total: number;
  currency: 'CNY';
  shippingAddress: {
    name: string;
    phone: string;
    line1: string;
    city: string;
    region?: string;
    postalCode?: string;
    country: string;
  };
  carrier?: string;
  trackingNumber?: string;
  placedAt: string;
  paidAt?: string;
  shippedAt?: string;
  deliveredAt?: string;
  cancelledAt?: string;
}

interface OrderCtx {
  out: OrderOut;
  customer: CustomerCtx;
  placed: number;
  paid?: number;
  shipped?: number;
  delivered?: number;
  cancelled?: number;
}

const STATUS_COUNTS: Array<[OrderStatus, number]> = [
  ['pending', 12],
  ['paid', 18],
  ['shipped', 28],
  ['delivered', 207],
  ['cancelled', 22],
  ['returned', 6],
  ['refunded', 7],
];

/** The free-shipping thresholds from the shipping articles: every demo order meets its zone's. */
const MIN_TOTAL: Record<Zone, number> = { cn: 99, 'cn-remote': 99, regional: 299, intl: 699 };

/**
 * As the shipping articles say: VIPs and Hong Kong/Macao/Taiwan get SF Express, other
 * countries DHL, everyone else standard delivery. (Paid SF upgrades are left out so that
 * every order's total is just its items, with shipping free above the threshold.)
 */
function carrierFor(c: CustomerCtx): string {
  const zone = c.seed.place.zone;
  if (zone === 'intl') return 'DHL Express';
  if (zone === 'regional' || c.seed.vip) return 'SF Express';
  return rng.weighted<string>([
    ['ZTO Express', 4],
    ['YTO Express', 3],
    ['JD Logistics', 3],
  ]);
}

function trackingNumber(carrier: string): string {
  switch (carrier) {
    case 'SF Express':
      return `SF${rng.digits(13)}`;
    case 'JD Logistics':
      return `JDVB${rng.digits(11)}`;
    case 'ZTO Express':
      return `7${rng.int(3, 8)}${rng.digits(12)}`;
    case 'YTO Express':
      return `YT${rng.digits(13)}`;
    default:
      return rng.digits(10);
  }
}

/** Days in transit, as the shipping-times article promises. */
function transitDays(carrier: string, zone: Zone): [number, number] {
  if (zone === 'intl') return [4, 9];
  if (zone === 'regional') return [2, 4];
  if (zone === 'cn-remote') return carrier === 'SF Express' ? [2, 4] : [4, 7];
  return carrier === 'SF Express' ? [1, 2] : [2, 4];
}

function pickItems(c: CustomerCtx, products: ProductOut[], byCat: Map<string, ProductOut[]>): OrderOut['items'] {
  const items: OrderOut['items'] = [];
  const add = (p: ProductOut): void => {
    const existing = items.find((it) => it.productId === p.id);
    if (existing) {
      existing.quantity += 1;
      return;
    }
    const multi = p.category === 't-shirts' || p.category === 'skincare';
    items.push({
      productId: p.id,
      title: p.title[c.out.locale],
      quantity: multi && rng.chance(0.3) ? rng.int(2, 3) : 1,
      unitPrice: p.price,
    });
  };
  const choose = (): ProductOut => {
    const cat = rng.chance(0.8) ? rng.pick(c.affinity) : rng.pick(CATEGORIES).slug;
    const pool = byCat.get(cat) ?? products;
    return rng.pick(pool);
  };
  const n = rng.weighted<number>([
    [1, 6],
    [2, 3],
    [3, 1],
  ]);
  for (let i = 0; i < n; i++) add(choose());
  const min = MIN_TOTAL[c.seed.place.zone];
  for (let guard = 0; sum(items) < min && guard < 20; guard++) {
    const first = at(items, 0);
    if (rng.chance(0.5) && first.unitPrice * (first.quantity + 1) <= min * 2) first.quantity += 1;
    else add(choose());
  }
  return items;
}

function sum(items: OrderOut['items']): number {
  return Math.round(items.reduce((s, it) => s + it.unitPrice * it.quantity, 0) * 100) / 100;
}

function iso(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString();
}

/** Working hours in Beijing for human-looking timestamps: mostly 08:00–23:59. */
function humanTime(dayStart: number): number {
  const hour = rng.weighted<number>([
    [8, 1], [9, 2], [10, 3], [11, 3], [12, 4], [13, 3], [14, 3], [15, 3], [16, 3],
    [17, 3], [18, 3], [19, 4], [20, 5], [21, 6], [22, 5], [23, 3], [0, 1], [7, 1],
  ]);
  return dayStart + hour * HOUR + rng.int(0, 59) * MIN + rng.int(0, 59) * 1000;
}

/** Midnight (Beijing) `daysAgo` days before NOW, in UTC ms. */
function beijingDay(daysAgo: number): number {
  const bjMidnightToday = Math.floor((NOW + 8 * HOUR) / DAY) * DAY - 8 * HOUR;
  return bjMidnightToday - daysAgo * DAY;
}

function buildOrders(customers: CustomerCtx[], products: ProductOut[]): OrderCtx[] {
  const byCat = new Map<string, ProductOut[]>();
  for (const p of products) byCat.set(p.category, [...(byCat.get(p.category) ?? []), p]);
  // Three shoppers signed up recently and have not ordered yet.
  const buyers = customers.filter((c) => !['cus_demo_024', 'cus_demo_041', 'cus_demo_047'].includes(c.out.id));
  const weightedBuyers = buyers.map((c) => [c, c.weight] as const);

  const orders: OrderCtx[] = [];
  for (const [status, count] of STATUS_COUNTS) {
    for (let i = 0; i < count; i++) {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 200) throw new Error(`cannot place a ${status} order`);
        const c = rng.weighted(weightedBuyers);
        const o = timeline(status, c);
        if (o) {
          orders.push(o);
          break;
        }
      }
    }
  }
  orders.sort((a, b) => a.placed - b.placed);
  orders.forEach((o, i) => {
    o.out.number = `SA${100001 + i}`;
  });
  for (const o of orders) {
    const items = pickItems(o.customer, products, byCat);
    o.out.items = items;
    o.out.total = sum(items);
  }
  return orders;
}

/** Picks consistent dates for an order in `status`, or null to try another shopper. */
function timeline(status: OrderStatus, c: CustomerCtx): OrderCtx | null {
  const zone = c.seed.place.zone;
  const carrier = carrierFor(c);
  const [tLo, tHi] = transitDays(carrier, zone);
  const payDelay = (): number => rng.int(1, 25) * MIN + rng.int(0, 59) * 1000;
  // Orders paid before 16:00 leave the warehouse the same day, others the next day (within 48 h).
  const shipDelay = (paid: number): number => {
    const bjHour = new Date(paid + 8 * HOUR).getUTCHours();
    return bjHour < 16 ? rng.between(2, 6) * HOUR : rng.between(14, 30) * HOUR;
  };
  const transit = (): number => rng.between(tLo, tHi) * DAY + rng.int(-3, 3) * HOUR;

  let placed: number;
  let paid: number | undefined;
  let shipped: number | undefined;
  let delivered: number | undefined;
  let cancelled: number | undefined;

  switch (status) {
    case 'pending': {
      placed = NOW - rng.between(0.2, 22) * HOUR;
      break;
    }
    case 'paid': {
      placed = NOW - rng.between(1, 30) * HOUR;
      paid = placed + payDelay();
      if (paid + shipDelay(paid) < NOW) return null;
      break;
    }
    case 'shipped': {
      shipped = NOW - rng.between(0.2, tHi * 0.8) * DAY;
      paid = shipped - rng.between(2, 28) * HOUR;
      placed = paid - payDelay();
      if (shipped + tLo * DAY < NOW) return null;
      break;
    }
    case 'returned': {
      delivered = NOW - rng.between(4, 9) * DAY;
      shipped = delivered - transit();
      paid = shipped - rng.between(2, 28) * HOUR;
      placed = paid - payDelay();
      break;
    }
    case 'cancelled': {
      placed = humanTime(beijingDay(rng.int(2, 118)));
      const mode = rng.weighted<'auto' | 'customer' | 'paid'>([
        ['auto', 3],
        ['customer', 3],
        ['paid', 4],
      ]);
      if (mode === 'auto') cancelled = placed + 24 * HOUR;
      else if (mode === 'customer') cancelled = placed + rng.between(5, 300) * MIN;
      else {
        paid = placed + payDelay();
        cancelled = paid + rng.between(0.5, 10) * HOUR;
      }
      break;
    }
    default: {
      // delivered, refunded
      const lo = status === 'refunded' ? 14 : 3;
      const hi = status === 'refunded' ? 110 : 119;
      const daysAgo = Math.round(lo + Math.pow(rng.next(), 1.3) * (hi - lo));
      placed = humanTime(beijingDay(daysAgo));
      paid = placed + payDelay();
      shipped = paid + shipDelay(paid);
      delivered = shipped + transit();
      if (delivered > NOW - 2 * HOUR) return null;
      break;
    }
  }
  if (placed > NOW || (delivered ?? 0) > NOW) return null;

  const place = c.seed.place;
  const out: OrderOut = {
    number: '',
    customerId: c.out.id,
    status,
    items: [],
    total: 0,
    currency: 'CNY',
    shippingAddress: {
      name: c.seed.name,
      phone: c.seed.phone,
      line1: c.seed.line1,
      city: place.city,
      ...(place.region ? { region: place.region } : {}),
      ...(place.postalCode ? { postalCode: place.postalCode } : {}),
      country: place.country,
    },
    placedAt: iso(placed),
  };
  if (shipped !== undefined) {
    out.carrier = carrier;
    out.trackingNumber = trackingNumber(carrier);
  }
  if (paid !== undefined) out.paidAt = iso(paid);
  if (shipped !== undefined) out.shippedAt = iso(shipped);
  if (delivered !== undefined) out.deliveredAt = iso(delivered);
  if (cancelled !== undefined) out.cancelledAt = iso(cancelled);
  return { out, customer: c, placed, paid, shipped, delivered, cancelled };
}

// ------------------------------------------------------------------ returns

interface ReturnOut {
  rmaCode: string;
  orderNumber: string;
  customerId: string;
  items: Array<{ productId: string; quantity: number }>;
  reason: string;
  status: 'requested' | 'approved' | 'rejected' | 'received' | 'refunded' | 'cancelled';
  refundAmount?: number;
}

const REASONS: Record<string, L[]> = {
  'running-shoes': [
    { en: 'Too small: my toes hit the front on downhills. The next size up is sold out, so I would like a refund.', zh: '鞋子偏小，下坡时脚趾顶到鞋头；大一码已经没货了，申请退款。' },
    { en: 'Too narrow for my feet; rubs on the outside of the little toe after 5 km.', zh: '鞋型太窄，跑到 5 公里小脚趾外侧就磨脚。' },
  ],
  sneakers: [
    { en: 'The colour is much more yellow than in the photos.', zh: '实物颜色比图片偏黄很多。' },
    { en: 'Half a size too big even with thick socks.', zh: '穿厚袜子还是大了半码。' },
  ],
  't-shirts': [
    { en: 'The fabric is thinner than I expected for the price.', zh: '面料比预期的薄，不太满意。' },
    { en: 'Ordered the wrong size by mistake.', zh: '下单时选错了尺码。' },
  ],
  jackets: [
    { en: 'Zip sticks halfway up; faulty slider.', zh: '拉链拉到一半就卡住，拉头有质量问题。' },
    { en: 'Too bulky for my commute; changed my mind.', zh: '穿着通勤太臃肿了，不想要了。' },
  ],
  jeans: [
    { en: 'Waist fits but the legs are too long and I do not want to hem them.', zh: '腰围合适但裤长太长，不想去改裤脚。' },
    { en: 'Stitching on the back pocket came loose on the first wear.', zh: '第一次穿后袋的缝线就开了。' },
  ],
  dresses: [
    { en: 'Too tight across the bust; the size chart was off for me.', zh: '胸围太紧，和尺码表对不上。' },
    { en: 'Colour looks different from the product photos.', zh: '颜色和商品图片色差较大。' },
  ],
  bags: [
    { en: 'The strap stitching came undone after one week.', zh: '用了一周背带就开线了。' },
    { en: 'Smaller than I expected; my laptop does not fit.', zh: '比预期小，笔记本电脑放不进去。' },
  ],
  headphones: [
    { en: 'Left earbud will not charge in the case.', zh: '左耳耳机放进充电盒无法充电。' },
    { en: 'Noise cancelling makes a hissing sound.', zh: '开启降噪后有明显的嘶嘶底噪。' },
  ],
  smartwatches: [
    { en: 'Heart-rate readings jump around during runs.', zh: '跑步时心率数据跳动很大，不准确。' },
    { en: 'Screen is too small to read comfortably; changed my mind.', zh: '屏幕太小看着费劲，不想要了。' },
  ],
  skincare: [
    { en: 'Caused redness on my cheeks after two uses.', zh: '用了两次脸颊就泛红过敏。' },
    { en: 'Opened it and changed my mind about the scent.', zh: '开封后不喜欢这个味道，想退货。' },
  ],
};

function buildReturns(orders: OrderCtx[], products: Map<string, ProductOut>): ReturnOut[] {
  const out: ReturnOut[] = [];
  const reasonFor = (o: OrderCtx, productId: string, avoidSkincare: boolean): string => {
    const cat = products.get(productId)?.category ?? 't-shirts';
    let pool = REASONS[cat] ?? [];
    if (avoidSkincare && cat === 'skincare') pool = pool.slice(0, 1);
    return rng.pick(pool)[o.customer.out.locale];
  };
  const whole = (o: OrderCtx): ReturnOut['items'] => o.out.items.map((it) => ({ productId: it.productId, quantity: it.quantity }));
  for (const o of orders) {
    if (o.out.status !== 'returned' && o.out.status !== 'refunded') continue;
    const first = at(o.out.items, 0);
    out.push({
      rmaCode: `RMA-${o.out.number}-1`,
      orderNumber: o.out.number,
      customerId: o.out.customerId,
      items: whole(o),
      reason: reasonFor(o, first.productId, true),
      status: o.out.status === 'returned' ? 'received' : 'refunded',
      refundAmount: o.out.total,
    });
  }
  // Open cases: two on recent deliveries (inside the 7-day window), and one no-reason
  // request that came in after the window closed and was rejected.
  const delivered = orders.filter((o) => o.out.status === 'delivered');
  const recent = delivered.filter((o) => (o.delivered ?? 0) > NOW - 6 * DAY);
  const late = delivered.find((o) => (o.delivered ?? NOW) < NOW - 15 * DAY && (o.delivered ?? NOW) > NOW - 40 * DAY);
  const plan: Array<[OrderCtx | undefined, ReturnOut['status']]> = [
    [recent[0], 'requested'],
    [recent[1], 'approved'],
    [late, 'rejected'],
  ];
  for (const [o, status] of plan) {
    if (!o) throw new Error('not enough deliveries for the open returns');
    const item = at(o.out.items, 0);
    const reason =
      status === 'rejected'
        ? o.customer.out.locale === 'zh'
          ? '不想要了，申请七天无理由退货。'
          : 'Changed my mind, I would like to send it back under the no-reason policy.'
        : reasonFor(o, item.productId, true);
    out.push({
      rmaCode: `RMA-${o.out.number}-1`,
      orderNumber: o.out.number,
      customerId: o.out.customerId,
      items: [{ productId: item.productId, quantity: item.quantity }],
      reason,
      status,
      ...(status === 'approved' ? { refundAmount: item.unitPrice * item.quantity } : {}),
    });
  }
  return out.sort((a, b) => a.orderNumber.localeCompare(b.orderNumber));
}

// ---------------------------------------------------------------- campaigns

interface CampaignOut {
  id: string;
  name: string;
  productId: string;
  bid: number;
  dailyBudget: number;
  status: 'active';
  startsAt: string;
  endsAt: string;
  targeting: { categories: string[]; intents: string[]; keywords: string[] };
}

function buildCampaigns(products: ProductOut[]): CampaignOut[] {
  const find = (category: string, tag: string): ProductOut => {
    const p = products.find((x) => x.category === category && x.tags.includes(tag) && x.stock > 20);
    if (!p) throw new Error(`no in-stock ${category} product tagged ${tag}`);
    return p;
  };
  const specs: Array<[ProductOut, string, number, number, string[], string[]]> = [
    [find('running-shoes', 'road'), 'Autumn marathon season', 1.8, 300, ['running-shoes'], ['running shoes', 'marathon', 'cushioned', '跑鞋', '马拉松', '缓震']],
    [find('headphones', 'noise-cancelling'), 'Quiet commute', 2.5, 500, ['headphones'], ['noise cancelling', 'headphones', 'flight', '降噪', '耳机', '通勤']],
    [find('smartwatches', 'gps'), 'Train smarter', 2.2, 400, ['smartwatches', 'running-shoes'], ['running watch', 'gps', 'marathon', '跑步手表', '运动手表', '心率']],
    [find('skincare', 'sunscreen'), 'Daily SPF', 0.8, 200, ['skincare'], ['sunscreen', 'spf', 'sun protection', '防晒', '防晒霜', '紫外线']],
    [find('jackets', 'down'), 'Winter warmth', 1.5, 350, ['jackets'], ['down jacket', 'winter coat', 'warm', '羽绒服', '冬季', '保暖']],
  ];
  return specs.map(([p, name, bid, dailyBudget, categories, keywords], i) => ({
    id: `cmp_demo_${String(i + 1).padStart(3, '0')}`,
    name: `${name}: ${p.title.en}`,
    productId: p.id,
    bid,
    dailyBudget,
    status: 'active',
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: '2027-12-31T23:59:59.000Z',
    targeting: { categories, intents: ['recommend', 'product_search'], keywords },
  }));
}

// ------------------------------------------------------------- interactions

interface InteractionOut {
  customerId: string;
  productId: string;
  type: 'view' | 'click' | 'cart' | 'purchase' | 'rating';
  value?: number;
  source: string;
  createdAt: string;
}

const TARGET_INTERACTIONS = 2000;

function buildInteractions(
  customers: CustomerCtx[],
  orders: OrderCtx[],
  products: ProductOut[],
  campaigns: CampaignOut[],
): InteractionOut[] {
  const out: Array<InteractionOut & { t: number }> = [];
  const push = (customerId: string, productId: string, type: InteractionOut['type'], t: number, source: string, value?: number): void => {
    if (t > NOW) return;
    out.push({ customerId, productId, type, source, createdAt: iso(t), t, ...(value === undefined ? {} : { value }) });
  };
  const browseSource = (c: CustomerCtx): string => {
    const own = c.out.identities.map((i) => i.channel);
    return rng.weighted<string>([
      [own.includes('app') ? 'app' : 'web', 4],
      [own.includes('wechat') ? 'wechat' : 'web', 2],
      ['search', 2],
      ['chat', 1],
      ['recommendation', 2],
    ]);
  };
  const returnedItems = new Set<string>();

  for (const o of orders) {
    const c = o.customer;
    for (const it of o.out.items) {
      const viewAt = o.placed - rng.between(0.5, 72) * HOUR;
      push(c.out.id, it.productId, 'view', viewAt, browseSource(c));
      if (rng.chance(0.6)) push(c.out.id, it.productId, 'click', viewAt + rng.between(10, 300) * 1000, browseSource(c));
      push(c.out.id, it.productId, 'cart', o.placed - rng.between(1, 20) * MIN, 'cart');
      if (o.paid !== undefined && o.out.status !== 'cancelled') push(c.out.id, it.productId, 'purchase', o.paid, 'checkout', it.quantity);
      if (o.out.status === 'returned' || o.out.status === 'refunded') returnedItems.add(`${c.out.id}|${it.productId}`);
      if (o.delivered !== undefined) {
        const returned = o.out.status === 'returned' || o.out.status === 'refunded';
        if (returned ? rng.chance(0.6) : rng.chance(0.35)) {
          const value = returned
            ? rng.weighted<number>([[1, 4], [2, 4], [3, 1]])
            : rng.weighted<number>([[5, 9], [4, 7], [3, 2], [2, 1], [1, 0.5], [4.5, 2], [3.5, 1]]);
          push(c.out.id, it.productId, 'rating', o.delivered + rng.between(0.5, 10) * DAY, 'review', value);
        }
      }
    }
  }

  // Sponsored products get impressions and clicks labelled with their campaign.
  const byId = new Map(products.map((p) => [p.id, p]));
  for (const cmp of campaigns) {
    const p = byId.get(cmp.productId);
    if (!p) continue;
    const audience = customers.filter((c) => cmp.targeting.categories.some((cat) => c.affinity.includes(cat)));
    for (let i = 0; i < 14; i++) {
      const c = rng.pick(audience.length > 0 ? audience : customers);
      const t = NOW - rng.between(0.1, 60) * DAY;
      push(c.out.id, p.id, 'view', t, `ad:${cmp.id}`);
      if (rng.chance(0.35)) push(c.out.id, p.id, 'click', t + rng.between(5, 120) * 1000, `ad:${cmp.id}`);
    }
  }

  // Browsing that did not end in an order, mostly in each shopper's favourite categories.
  const byCat = new Map<string, ProductOut[]>();
  for (const p of products) byCat.set(p.category, [...(byCat.get(p.category) ?? []), p]);
  const weighted = customers.map((c) => [c, c.weight + 0.5] as const);
  while (out.length < TARGET_INTERACTIONS) {
    const c = rng.weighted(weighted);
    const cat = rng.chance(0.75) ? rng.pick(c.affinity) : rng.pick(CATEGORIES).slug;
    const p = rng.pick(byCat.get(cat) ?? products);
    const t = NOW - Math.pow(rng.next(), 1.2) * 120 * DAY;
    const source = browseSource(c);
    push(c.out.id, p.id, 'view', t, source);
    if (rng.chance(0.35)) push(c.out.id, p.id, 'click', t + rng.between(5, 200) * 1000, source);
    if (rng.chance(0.08)) push(c.out.id, p.id, 'cart', t + rng.between(1, 10) * MIN, 'cart');
  }
  return out
    .slice(0, TARGET_INTERACTIONS)
    .sort((a, b) => a.t - b.t || a.customerId.localeCompare(b.customerId))
    .map(({ t: _t, ...rest }) => rest);
}

// --------------------------------------------------------------------- main

async function writeJson(name: string, data: unknown, compact = false): Promise<void> {
  const text = compact && Array.isArray(data)
    ? `[\n${data.map((d) => `  ${JSON.stringify(d)}`).join(',\n')}\n]\n`
    : `${JSON.stringify(data, null, 2)}\n`;
  await writeFile(new URL(name, OUT_DIR), text, 'utf8');
}

async function main(): Promise<void> {
  const products = buildProducts();
  const customers = buildCustomers();
  const orders = buildOrders(customers, products);
  const productMap = new Map(products.map((p) => [p.id, p]));
  const returns = buildReturns(orders, productMap);
  const campaigns = buildCampaigns(products);
  const interactions = buildInteractions(customers, orders, products, campaigns);

  await mkdir(OUT_DIR, { recursive: true });
  await writeJson('products.json', products);
  await writeJson('customers.json', customers.map((c) => c.out));
  await writeJson('orders.json', orders.map((o) => o.out));
  await writeJson('returns.json', returns);
  await writeJson('campaigns.json', campaigns);
  await writeJson('interactions.json', interactions, true);

  const statusCounts = Object.fromEntries(STATUS_COUNTS.map(([s]) => [s, orders.filter((o) => o.out.status === s).length]));
  console.log(
    `demo shop: ${products.length} products, ${customers.length} customers, ${orders.length} orders ${JSON.stringify(statusCounts)}, ` +
      `${returns.length} returns, ${campaigns.length} campaigns, ${interactions.length} interactions`,
  );
}

await main();
