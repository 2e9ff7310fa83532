// The public surface of src/webhooks: other capabilities and src/main import it through this file only (eslint.fences.js).
export * from './consumer.js';
export * from './event-types.js';
export * from './module.js';
export * from './routes.js';
export * from './service.js';
export * from './signing.js';
