/**
 * Why a field was refused, beyond the schema's own checks: the `reason` of an entry in a 400
 * VALIDATION_FAILED's `errors` (the schema's checks give zod's issue code there instead: too_small,
 * too_big, invalid_type, ...). Stable, so clients say it in their own words (the web app in Korean
 * and English, src/web/assets/problem-messages.ko.js and .en.js); `detail` and `message` stay English for developers.
 */
export const validationReasons = [
  'STARTS_IN_PAST',
  'SALE_CLOSES_IN_PAST',
  'SALE_OPENS_AFTER_CLOSE',
  'SALE_CLOSES_AFTER_START',
  'SECTION_NAMES_NOT_UNIQUE',
  'TOO_MANY_SEATS_PER_SCHEDULE',
  'TOO_MANY_SEATS_PER_REQUEST',
  'NOTHING_TO_CHANGE',
] as const;
export type ValidationReason = (typeof validationReasons)[number];

/** The schema checks' issue codes (zod) that a client should have words for; anything else gets a general sentence. */
export const schemaIssueCodes = ['too_small', 'too_big', 'invalid_type', 'invalid_format', 'invalid_value', 'unrecognized_keys'] as const;

/** A refinement's options naming its reason (zod keeps `params` on the issue; the HTTP layer reads it). */
export const because = (reason: ValidationReason, message: string, extra: { path?: string[]; maximum?: number } = {}) => ({
  message,
  ...(extra.path ? { path: extra.path } : {}),
  params: { reason, ...(extra.maximum === undefined ? {} : { maximum: extra.maximum }) },
});
