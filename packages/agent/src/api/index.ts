export { startLocalApi } from './local-api.js';
export type { LocalApi, LocalApiOptions } from './local-api.js';
export { createApiHandler } from './api-routes.js';
export type { ApiModelHost, ApiRouteOptions } from './api-routes.js';
export { API_ERROR_CODES, ApiError, httpStatusOf } from './api-errors.js';
export type { ApiErrorCode } from './api-errors.js';
