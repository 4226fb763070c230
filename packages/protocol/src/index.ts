export { EdgefleetError, isEdgefleetError, ProtocolError, PROTOCOL_ERROR_CODES } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
