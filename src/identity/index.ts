// The public surface of src/identity: other capabilities import it through this file only (eslint.fences.js).
export * from './middleware.js';
export * from './routes.js';
export * from './service.js';
export * from './tokens.js';
export * from './audit.js';
export * from './contacts.js';
export * from './locale.js';
