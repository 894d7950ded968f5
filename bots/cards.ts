/** Product cards and quick replies are built by skills; channels read them through here. */
export { PRODUCT_CARD, productCardAttachment, readCards, readQuickReplies, activityPayload, type ProductCard, type QuickReply, type CardButton } from '../skills/cards.js';
