/** The capture engine's public surface. */
export * from './engine';
export * from './capture-sink';
export * from './capture-batcher';
export * from './port-host';
export { buildResponseVariants, buildErrorResponse } from './response-bytes';
