import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { ShopError } from '../../store/errors.js';
import type { RatingModel, SavedModel } from '../types.js';
import { GlobalMeanModel } from './baseline.js';
import { ConcatEmbeddingModel } from './concat.js';
import { ContentModel } from './content.js';
import { HybridModel } from './hybrid.js';
import { ImplicitAlsModel } from './implicit-als.js';
import { BiasedMfModel } from './mf.js';
import { PopularityModel } from './popularity.js';

export { GlobalMeanModel, ConcatEmbeddingModel, ContentModel, HybridModel, BiasedMfModel, PopularityModel, ImplicitAlsModel };
export { IMPLICIT_ALS_DEFAULTS, type ImplicitAlsConfig } from './implicit-als.js';
export { MF_DEFAULTS, type MfConfig } from './mf.js';
export { CONCAT_DEFAULTS, type ConcatConfig } from './concat.js';

/** What a model may need beyond the ratings: item texts for the content-based parts. */
export interface ModelContext {
  itemText?: (item: string) => string | undefined;
  catalogue?: string[];
  embeddings?: EmbeddingsInterface;
}

/** Every model by name, in the order the benchmark and `rec:eval` list them. */
export const MODELS: Record<string, (ctx?: ModelContext) => RatingModel> = {
  'global-mean': () => new GlobalMeanModel(),
  popularity: () => new PopularityModel(),
  'brief-concat': () => new ConcatEmbeddingModel(),
  'biased-mf': () => new BiasedMfModel(),
  content: (ctx = {}) => new ContentModel(ctx),
  hybrid: (ctx = {}) => new HybridModel({ content: ctx }),
  'implicit-als': () => new ImplicitAlsModel(),
};

const LOADERS: Record<string, (saved: SavedModel) => RatingModel> = {
  'global-mean': (s) => GlobalMeanModel.load(s),
  popularity: (s) => PopularityModel.load(s),
  'brief-concat': (s) => ConcatEmbeddingModel.load(s),
  'biased-mf': (s) => BiasedMfModel.load(s),
  content: (s) => ContentModel.load(s),
  hybrid: (s) => HybridModel.load(s),
  'implicit-als': (s) => ImplicitAlsModel.load(s),
};

/** Whether a model predicts ratings (RMSE and MAE apply) or only ranks. */
export function predictsRatings(model: RatingModel): boolean {
  return (model.task ?? 'rating') === 'rating';
}

export function createModel(name: string, ctx?: ModelContext): RatingModel {
  // Own keys only: `MODELS.constructor` is Object (issue 14).
  const make = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (!make) throw new ShopError('bad_request', `unknown model "${name}"; one of: ${Object.keys(MODELS).join(', ')}`);
  return make(ctx);
}

export function restoreModel(saved: SavedModel): RatingModel {
  const load = Object.hasOwn(LOADERS, saved.kind) ? LOADERS[saved.kind] : undefined;
  if (!load) throw new ShopError('bad_request', `unknown saved model kind "${saved.kind}"`);
  return load(saved);
}
