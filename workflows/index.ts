// The worker's workflow bundle entry (src/main/worker-app.ts: workflowsPath): every workflow type,
// by the name its contract spells (test/unit/workflow-contracts.test.ts checks they agree).
export { reservationWorkflow } from './booking/reservation.js';
export { refundReservationWorkflow } from './booking/refund.js';
export { holdSweeperWorkflow } from './booking/sweeper.js';
export { scheduleCancellationWorkflow } from './catalog/schedule-cancellation.js';
export { latePaymentWorkflow } from './payment/late-payment.js';
export { paymentReconciliationWorkflow } from './payment/reconciliation.js';
export { ticketTransferWorkflow } from './ticketing/transfer.js';
export { webhookDeliveryWorkflow } from './webhooks/delivery.js';
