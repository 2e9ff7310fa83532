// The public surface of src/ticketing: other capabilities import it through this file only (eslint.fences.js).
export * from './attendee-list.js';
export * from './issue.js';
export * from './transfer-repository.js';
export * from './transfer-contracts.js';
