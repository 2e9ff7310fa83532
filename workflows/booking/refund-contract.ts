/**
 * The refund workflow's contract: cancelling a CONFIRMED reservation (money back, then the seats).
 * Its ids and names are wire format (test/replay).
 */
export { reservationStatusKey } from './reservation-contract.js';

export const REFUND_WORKFLOW_TYPE = 'refundReservationWorkflow';
/** One refund per reservation. */
export const refundWorkflowId = (reservationId: string) => `reservation-${reservationId}-refund`;

export interface RefundInput {
  reservationId: string;
  reason: string;
  /** Where payment's worker listens (PAYMENT_TASK_QUEUE); absent in histories from before the refund-started patch. */
  paymentTaskQueue?: string;
}
/** TICKET_ADMITTED: refused (by booking's startRefund; by payment before the refund-started patch) because a ticket of the purchase was used at the door; nothing changed. */
export type RefundResult = 'REFUNDED' | 'TICKET_ADMITTED';
export type RefundWorkflow = (input: RefundInput) => Promise<RefundResult>;
