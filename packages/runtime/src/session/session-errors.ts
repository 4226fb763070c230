import { EdgefleetError } from '@edgefleet/protocol';

/** Codes raised by onnxruntime sessions and output postprocessing, and what each means. */
export const SESSION_ERROR_CODES = {
  EF_RUNTIME_MODEL_LOAD:
    'onnxruntime could not load the model (not ONNX, corrupt, unsupported opset/operator, missing file).',
  EF_RUNTIME_SESSION_OPTIONS:
    'Session options are invalid (e.g. a thread count that is not a positive integer).',
  EF_RUNTIME_FEED_NAME: 'Feeds do not name exactly the model inputs (one is missing or unknown).',
  EF_RUNTIME_FEED_TYPE: "A feed's element type differs from the model input's dtype.",
  EF_RUNTIME_FEED_SHAPE:
    "A feed's dims do not fit the model input (rank, a fixed dim) or its data length differs from the dims' product.",
  EF_RUNTIME_RUN: 'onnxruntime failed while running the model (its message is included).',
  EF_RUNTIME_SESSION_RELEASED: 'The session was used after release().',
  EF_RUNTIME_OUTPUT_SHAPE: 'A model output does not fit the postprocess spec (rank, label count).',
} as const satisfies Record<string, string>;

export type SessionErrorCode = keyof typeof SESSION_ERROR_CODES;

/** A model that cannot be loaded or run, or feeds/outputs that do not fit it. */
export class SessionError extends EdgefleetError {
  declare readonly code: SessionErrorCode;

  constructor(
    code: SessionErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(code, message, details, options);
    this.name = 'SessionError';
  }
}
