export { reservationWorkflow } from './reservation.js';
export { refundReservationWorkflow } from './refund.js';
export { holdSweeperWorkflow } from './sweeper.js';
export { scheduleCancellationWorkflow } from './schedule-cancellation.js';
export { latePaymentWorkflow } from './late-payment.js';
export { paymentReconciliationWorkflow } from './reconciliation.js';
