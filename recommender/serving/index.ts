export { TopNIndex, exactTopK, MAX_K, MAX_POOL, MAX_EF, type TopNIndexOptions, type RecommendOptions, type TopNFingerprint, type IndexTransform } from './topn-index.js';
export { diversify, cosineFromVectors, type Similarity, type CosineOptions } from './diversity.js';
export { explain, type Explanation } from './explain.js';
export { SimilarItems, EXACT_LIMIT, type SimilarItemsOptions, type ProductText } from './similar.js';
export { mineAssociations, ruleScore, BoughtTogether, type AssociationRule, type MineOptions, type BoughtTogetherHit } from './association.js';
