// The public surface of src/payment: other capabilities import it through this file only (eslint.fences.js).
export * from './contracts.js';
export * from './references.js';
export * from './refund-list.js';
export * from './sales-ledger.js';
export * from './wallet-repository.js';
export * from './module.js';
