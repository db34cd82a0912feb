/** No node; the id 0 is never a member. */
export const NONE = 0;

/** The context bytes that mark vote requests of a leadership-transfer election. */
export const CAMPAIGN_TRANSFER: Uint8Array = new TextEncoder().encode('CampaignTransfer');
