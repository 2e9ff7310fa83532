// The public surface of src/catalog: other capabilities import it through this file only (eslint.fences.js).
export * from './repository.js';
export * from './schedule-cache.js';
export * from './schedule-seats.js';
export * from './seat-map-cache.js';
export * from './schedule-rules.js';
export * from './seat-status-port.js';
