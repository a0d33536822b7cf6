import type { StringRules } from '../request-validator.js';

/** Member constraints shared by several operations, from the API reference. */

export const SESSION_ID_RULES: StringRules = { required: true, minLength: 1, maxLength: 256 };

export const WORK_GROUP_RULES: StringRules = { required: true, pattern: '[a-zA-Z0-9._-]{1,128}' };

export const DESCRIPTION_RULES: StringRules = { minLength: 1, maxLength: 1024 };

/** GUESS: 1..36, enough for the 36-character UUIDs SDKs generate as tokens. */
export const CLIENT_REQUEST_TOKEN_RULES: StringRules = { minLength: 1, maxLength: 36 };

export const CALCULATION_EXECUTION_ID_RULES: StringRules = {
  required: true,
  minLength: 1,
  maxLength: 36,
};

export const CODE_BLOCK_MAX_LENGTH = 68_000;
