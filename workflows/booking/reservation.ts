import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { cardPaymentFlow, type PaymentOutcome } from './reservation-card-payment.js';
import {
  CARD_QUEUE_PATCH,
  cancelUpdate,
  holdUpdate,
  payUpdate,
  reservationStatusKey,
  stateQuery,
  updateRefusal,
  type CancelResult,
  type HoldResult,
  type PayResult,
  type ReleaseInput,
  type ReservationInput,
  type ReservationState,
  type WorkflowStatus,
} from './reservation-contract.js';

// The hold is a local activity: it runs in the worker that took the update, saving the round trip
// through the server on the latency-critical path.
const { holdSeats } = proxyLocalActivities<BookingActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
});

// No attempt limit: payment and confirmation are idempotent by reservation id, and a failure that
// escaped them (MySQL down longer than a few attempts) would fail the run and strand the hold, or a
// payment that committed with its answer lost. The hold is safe meanwhile: payable() checks expiry
// under the row lock, so a payment that finally runs after expiresAt is refused.
const paymentRetry = { initialInterval: '100ms', maximumInterval: '5s', nonRetryableErrorTypes: ['ConfirmationRejected'] };
// v1 ran payment and confirmation as regular activities; kept for workflows started before the
// LOCAL_PAYMENT patch (see `patched` below) so their histories still replay.
const remote = proxyActivities<BookingActivities>({ startToCloseTimeout: '15s', retry: paymentRetry });
// Since the patch: local activities, two server round trips fewer on the paying buyer's path.
const local = proxyLocalActivities<BookingActivities>({ startToCloseTimeout: '10s', retry: paymentRetry });
export const LOCAL_PAYMENT_PATCH = 'local-payment-activities';
/**
 * Since this patch the wallet debit and its compensating refund are payment's activities on payment's
 * own task queue (its worker, its database), called across queues with the hold's facts (who, how
 * much, until when); payment refuses at or after expiresAt. Confirmation stays a local activity here.
 */
export const PAYMENT_QUEUE_PATCH = 'payment-task-queue';
/** Since this patch a failed hold is undone at once (if it landed) instead of by the sweeper after expiry. */
export const RELEASE_FAILED_HOLD_PATCH = 'release-failed-hold';

// Compensations must finish: retried without an attempt limit (they are idempotent).
const { releaseReservation, releaseFailedHold, refundPayment } = proxyActivities<BookingActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/**
 * One reservation's life: hold -> wait for payment (timer = hold TTL) -> confirm, or expire /
 * cancel / fail with compensation. Payment and expiry are serialised here, so a payment can never
 * land on seats the timer already released.
 */
export async function reservationWorkflow(input: ReservationInput): Promise<ReservationState> {
  const state: ReservationState = { reservationId: input.reservationId, status: 'PENDING', paymentAttempts: 0 };
  let hold: HoldResult | undefined;
  let cancelRequested = false;
  let cancelResult: CancelResult | undefined;
  // Payment rounds: a pay update starts a round (or joins the one in flight) and gets its result.
  let paymentRound = 0;
  let paymentRequested = false;
  const paymentResults = new Map<number, PayResult>();

  const setStatus = (status: WorkflowStatus, reason?: string) => {
    state.status = status;
    if (reason) state.reason = reason;
    upsertSearchAttributes([{ key: reservationStatusKey, value: status }]);
  };

  setHandler(stateQuery, () => ({ ...state }));

  setHandler(holdUpdate, async () => {
    await condition(() => hold !== undefined);
    return hold!;
  });

  setHandler(
    payUpdate,
    async () => {
      if (!paymentRequested) {
        paymentRound += 1;
        paymentRequested = true;
      }
      const round = paymentRound;
      await condition(() => paymentResults.has(round));
      return paymentResults.get(round)!;
    },
    { validator: () => rejectUnlessHeld(state.status, 'pay') },
  );

  setHandler(
    cancelUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => cancelResult !== undefined);
      return cancelResult!;
    },
    { validator: () => rejectUnlessHeld(state.status, 'cancel') },
  );

  // Card payments through the provider (reservation-card-payment.ts): a payCard update and the
  // provider's verdict as a signal, run from the loop below like the wallet's payment rounds.
  const card = cardPaymentFlow({
    reservationId: input.reservationId,
    userId: input.userId,
    paymentTaskQueue: input.paymentTaskQueue ?? 'payments',
    amount: () => state.amount,
    status: () => state.status,
    validate: () => rejectUnlessHeld(state.status, 'pay'),
  });

  try {
    hold = await holdSeats(input);
  } catch (err) {
    // The hold could not be written (e.g. MySQL unreachable through every retry). Answer the caller,
    // undo a write that may have landed after all, then fail this run: the id reuse policy lets a
    // retry with the same Idempotency-Key start anew.
    hold = { ok: false, code: 'HOLD_FAILED' };
    setStatus('REJECTED', 'HOLD_FAILED');
    if (patched(RELEASE_FAILED_HOLD_PATCH)) {
      // An attempt may have committed with its answer lost; the caller is told HOLD_FAILED, so no
      // hold may stand. Retried until MySQL answers (the update above is already answered).
      await CancellationScope.nonCancellable(() => releaseFailedHold({ reservationId: input.reservationId }));
    }
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({ type: 'HoldFailed', message: `hold failed: ${String(err)}`, nonRetryable: true });
  }
  if (!hold.ok) {
    // The refusal's own code (a ticket limit or a paused sale is not a taken seat). Only the
    // run's result carries it, so recorded histories replay unchanged.
    setStatus('REJECTED', hold.code);
    await condition(allHandlersFinished);
    return state;
  }
  state.expiresAt = hold.expiresAt;
  state.amount = hold.amount;
  setStatus('HELD');

  const expiresAt = Date.parse(hold.expiresAt);
  const heldFacts = { reservationId: input.reservationId, userId: input.userId, amount: hold.amount, expiresAt: hold.expiresAt };
  // Payment's worker serves its own queue; retried without an attempt limit like the local path (a
  // debit whose answer was lost is found again by reservation id, never taken twice).
  const payment = proxyActivities<PaymentActivities>({ taskQueue: input.paymentTaskQueue ?? 'payments', startToCloseTimeout: '10s', retry: paymentRetry });
  const release = async (status: ReleaseInput['status'], reason: string) => {
    await CancellationScope.nonCancellable(() => releaseReservation({ reservationId: input.reservationId, status, reason }));
    setStatus(status, reason);
  };

  // A card success the provider confirmed: sell the seats, or give the money back if they cannot be.
  const confirmCard = async (paid: PaymentOutcome) => {
    if (!paid.ok) return;
    try {
      await local.confirmReservation({ reservationId: input.reservationId });
      setStatus('CONFIRMED');
    } catch (err) {
      log.error('confirmation failed after card payment; refunding', { reservationId: input.reservationId, error: String(err) });
      const refund = { reservationId: input.reservationId, reason: 'confirmation failed' };
      await CancellationScope.nonCancellable(() => (patched(CARD_QUEUE_PATCH) ? payment.refundPurchase(refund) : refundPayment(refund)));
      await release('FAILED', 'confirmation failed after payment; refunded');
    }
  };

  for (;;) {
    const woke = await condition(() => paymentRequested || cancelRequested || card.hasWork(), Math.max(expiresAt - Date.now(), 0));
    if (!woke) {
      // A pending card payment is cancelled at the provider first; if it already succeeded, the
      // seats (still held) are sold instead of released.
      const paid = await card.settleBeforeClose(true);
      if (paid) {
        await confirmCard(paid);
        break;
      }
      await release('EXPIRED', 'hold expired before payment');
      break;
    }
    if (cancelRequested) {
      await card.settleBeforeClose(false);
      await release('CANCELLED', 'cancelled by the user');
      cancelResult = { ok: true, status: 'CANCELLED' };
      break;
    }
    if (!paymentRequested) {
      const paid = await card.step();
      if (!paid) continue;
      await confirmCard(paid);
      break;
    }
    // A payment round.
    state.paymentAttempts += 1;
    const round = paymentRound;
    const viaPaymentQueue = patched(PAYMENT_QUEUE_PATCH);
    const { payReservation, confirmReservation } = viaPaymentQueue || patched(LOCAL_PAYMENT_PATCH) ? local : remote;
    const outcome = viaPaymentQueue ? await payment.debitWallet(heldFacts) : await payReservation({ reservationId: input.reservationId });
    if (!outcome.ok) {
      // Nothing was charged; the hold stays until it expires or a later payment succeeds.
      paymentResults.set(round, { ok: false, code: outcome.code, detail: outcome.detail, status: state.status });
      paymentRequested = false;
      continue;
    }
    try {
      await confirmReservation({ reservationId: input.reservationId });
      setStatus('CONFIRMED');
      paymentResults.set(round, { ok: true, status: 'CONFIRMED', paymentId: outcome.paymentId, amount: outcome.amount });
    } catch (err) {
      // Money moved but the seats could not be sold: give the money back, then the seats.
      log.error('confirmation failed after debit; compensating', { reservationId: input.reservationId, error: String(err) });
      const refund = { reservationId: input.reservationId, reason: 'confirmation failed' };
      await CancellationScope.nonCancellable(() => (viaPaymentQueue ? payment.refundWallet(refund) : refundPayment(refund)));
      await release('FAILED', 'confirmation failed after payment; refunded');
      paymentResults.set(round, { ok: false, code: 'PAYMENT_FAILED', detail: 'The seats could not be confirmed; the payment was refunded', status: 'FAILED' });
    }
    paymentRequested = false;
    break;
  }

  // Answer any update that was accepted while the reservation was closing.
  const closed = state.status;
  if (paymentRequested && !paymentResults.has(paymentRound)) {
    paymentResults.set(paymentRound, {
      ok: false,
      code: closed === 'EXPIRED' ? 'RESERVATION_EXPIRED' : 'RESERVATION_NOT_PAYABLE',
      detail: `reservation is ${closed}`,
      status: closed,
    });
  }
  if (cancelRequested && !cancelResult) cancelResult = { ok: false, code: 'NOT_CANCELLABLE', detail: `reservation is ${closed}`, status: closed };
  card.answerClosed(closed === 'EXPIRED' ? 'RESERVATION_EXPIRED' : closed === 'CONFIRMED' ? 'ALREADY_PAID' : 'RESERVATION_NOT_PAYABLE');
  // Money that arrived for seats we did not sell goes back (docs/payments.md, late payments).
  await CancellationScope.nonCancellable(() => card.refundUnapplied());
  await condition(allHandlersFinished);
  return state;
}

function rejectUnlessHeld(status: WorkflowStatus, action: 'pay' | 'cancel'): void {
  const type = updateRefusal(status, action);
  if (!type) return;
  throw ApplicationFailure.create({ type, message: `cannot ${action}: reservation is ${status}`, nonRetryable: true });
}
