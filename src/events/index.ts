// The public surface of src/events: other capabilities import it through this file only (eslint.fences.js).
export * from './audit-log.js';
export * from './catalog.js';
export * from './consumer.js';
export * from './held-seat.js';
export * from './outbox.js';
export * from './read-model-rebuild.js';
export * from './event-queries.js';
