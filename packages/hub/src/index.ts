export { HubError, HUB_ERROR_CODES } from './errors.js';
export type { HubErrorCode } from './errors.js';
