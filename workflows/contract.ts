/**
 * The reservation workflows' contract with the rest of the system, in one file: the updates and the
 * query, the workflow ids, the refund's and the sweeper's names and ids, and the search-attribute keys.
 * The workflows (in the sandbox), the API's port (src/booking/reservation-workflows.ts), the worker and
 * the sweeper activity all read them here. Renaming anything in this file changes recorded histories
 * (test/replay) or running workflows: these strings are wire format.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelResult, HoldResult, PayResult, ReservationState } from '../src/booking/contracts.js';
import type { CancellationProgress } from '../src/catalog/cancellation-contracts.js';
import type { CardOutcome, CardPayResult } from '../src/payment/card-contracts.js';

/** Update-with-Start target: answers with the hold result as soon as the seats are held (or not). */
export const holdUpdate = defineUpdate<HoldResult>('hold');
export const payUpdate = defineUpdate<PayResult>('pay');
export const cancelUpdate = defineUpdate<CancelResult>('cancel');
export const stateQuery = defineQuery<ReservationState>('state');
/** Card payments (docs/payments.md): start (or rejoin) the reservation's provider payment. */
export const cardPayUpdate = defineUpdate<CardPayResult>('payCard');
/** The provider's verdict on the reservation's card payment, sent by the webhook and the reconciliation. */
export const cardOutcomeSignal = defineSignal<[CardOutcome]>('cardOutcome');
/** A card success that reached us after its reservation closed: refunded by this workflow (one per payment). */
export const latePaymentWorkflowId = (providerPaymentId: string) => `late-payment-${providerPaymentId}`;
/** The hourly reconciliation of our payments with the provider's (a Temporal Schedule starts it). */
export const RECONCILIATION_SCHEDULE_ID = 'payment-reconciliation';
export const RECONCILIATION_WORKFLOW_TYPE = 'paymentReconciliationWorkflow';

/** One workflow per reservation; the id is derived from the reservation id (itself from the Idempotency-Key). */
export const reservationWorkflowId = (reservationId: string) => `reservation-${reservationId}`;
/** Refund of a confirmed reservation: its own short workflow, one per reservation. */
export const refundWorkflowId = (reservationId: string) => `reservation-${reservationId}-refund`;

/** The every-minute safety net for holds whose workflow is gone (a Temporal Schedule starts it). */
export const SWEEPER_SCHEDULE_ID = 'hold-sweeper';
export const SWEEPER_WORKFLOW_ID = 'hold-sweeper';
export const SWEEPER_WORKFLOW_TYPE = 'holdSweeperWorkflow';

/**
 * Custom search attributes (registered on the dev server at start: scripts/stack.sh) that let
 * operators filter reservations in the Temporal Web UI, e.g. `ReservationStatus = "HELD"`.
 */
export const reservationStatusKey = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const userIdKey = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
export const scheduleIdKey = defineSearchAttributeKey('ScheduleId', SearchAttributeType.KEYWORD);
export const concertIdKey = defineSearchAttributeKey('ConcertId', SearchAttributeType.KEYWORD);

/** A performance cancellation: one workflow per schedule (a repeated request joins it). */
export const scheduleCancellationWorkflowId = (scheduleId: number, prefix = '') => `${prefix}schedule-${scheduleId}-cancellation`;
export const SCHEDULE_CANCELLATION_WORKFLOW_TYPE = 'scheduleCancellationWorkflow';
export const cancellationProgressQuery = defineQuery<CancellationProgress>('progress');
/** Its phase and how many reservations it closed, for the Web UI (`CancellationPhase != "DONE"`). */
export const cancellationPhaseKey = defineSearchAttributeKey('CancellationPhase', SearchAttributeType.KEYWORD);
export const cancellationProcessedKey = defineSearchAttributeKey('CancellationProcessed', SearchAttributeType.INT);
