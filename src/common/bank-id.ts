/**
 * A partner bank's id: a slug. Here, not in banks/, because the OpenAPI document's path
 * parameters (openapi-errors.ts) are described with it, and common/ imports no feature.
 */
export const BANK_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
