/** Sponsored products: the ad server (auction, budgets, pacing, attribution) and its targeting rules. */
export { AdServer, adSource, campaignOfSource, type AdRequest, type AdServerOptions, type AdSlot, type CampaignReport } from './ad-server.js';
export { keywordIn, targetingMatches, type TargetingContext } from './targeting.js';
export { shopDay, type ShopDay } from './shop-day.js';
