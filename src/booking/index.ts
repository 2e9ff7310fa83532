// The public surface of src/booking: other capabilities import it through this file only (eslint.fences.js).
export * from './domain.js';
export * from './performance-cancellation.js';
export * from './repository.js';
export * from './representation.js';
export * from './reservation-search.js';
export * from './sales-report.js';
export * from './seat-status.js';
export * from './seat-status-repository.js';
export * from './service.js';
export * from './waitlist-port.js';
