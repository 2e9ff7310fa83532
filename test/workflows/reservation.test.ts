/**
 * Unit tests of the reservation workflow's hold, wallet payment, cancel and expiry paths
 * (workflows/reservation.ts), real workflow code on the run's Temporal, fake activities.
 * Card payments: card-payment.test.ts. Update validators: reservation-validators.test.ts.
 *
 * Branches, and the test that covers each:
 *  hold
 *   - holdSeats answers ok: HELD, expiry and amount in the state, ReservationStatus=HELD ......... 'holds the seats, ..., and cancels'
 *   - the hold update called again answers the same hold (Update-with-Start retry) ............ 'holds the seats, ..., and cancels'
 *   - holdSeats answers a refusal: REJECTED with that code, nothing to release ............... 'a refused hold' (each code)
 *   - holdSeats throws through its retries: HOLD_FAILED answered, the possibly-landed hold
 *     undone (RELEASE_FAILED_HOLD_PATCH), the run fails HoldFailed ............................. 'a hold that cannot be written'
 *  wallet payment rounds
 *   - pay: payment's debitWallet (on payment's queue, with the hold's facts) then
 *     confirmReservation, CONFIRMED, the payment in the answer (PAYMENT_QUEUE_PATCH) ........... 'pays and confirms'
 *   - pay refused (insufficient balance): answered, hold stays, a later pay confirms ........... 'a refused payment leaves the hold'
 *   - pay refused by payment as expired (at or after the hold's expiresAt, which it is given) ... 'a payment the payment step finds expired'
 *   - paid but confirmation rejected: payment's refundWallet first, then release FAILED,
 *     PAYMENT_FAILED ............................................................................ 'a confirmation that fails after the debit'
 *   - the compensation's refund failing is retried until it lands ............................. 'a confirmation that fails after the debit'
 *  expiry
 *   - the timer fires: release EXPIRED, ReservationStatus=EXPIRED ............................. 'expires'
 *   - pay accepted while the expiry is releasing: answered RESERVATION_EXPIRED ................ 'a payment that races the expiry'
 *   - cancel accepted while the expiry is releasing: answered NOT_CANCELLABLE (EXPIRED) ......... 'a cancel that races the expiry'
 *   - pay after the workflow closed: refused by Temporal (the API answers from the row) ........ 'expires'
 *  cancel
 *   - cancel while HELD: release CANCELLED, answered ok ...................................... 'holds the seats, ..., and cancels'
 * The older paths (remote or local payReservation and refundPayment on booking's queue, no undo
 * of a failed hold) are only in recorded
 * histories: test/replay covers them.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { confirmationRejected, HOLD_AMOUNT } from './fakes.js';
import { holdReservation, SHORT_EXPIRY_MS, updateDuringExpiry } from './reservations.js';
import { cancelUpdate, holdUpdate, payUpdate, reservationStatusKey, stateQuery, testBedForThisFile } from './support.js';

const bed = testBedForThisFile();

const statusAttribute = async (handle: { describe(): Promise<{ typedSearchAttributes: { get(k: typeof reservationStatusKey): string | undefined } }> }) =>
  (await handle.describe()).typedSearchAttributes.get(reservationStatusKey);

describe.concurrent('reservation workflow', () => {
  it('holds the seats, answers the hold again to a retry, and cancels', async () => {
    const { handle, held, scenario } = await holdReservation(bed);
    expect(held).toMatchObject({ ok: true, amount: HOLD_AMOUNT });
    const state = await handle.query(stateQuery);
    expect(state).toMatchObject({ status: 'HELD', amount: HOLD_AMOUNT, paymentAttempts: 0 });
    expect(state.expiresAt).toBe(held.ok ? held.expiresAt : undefined);
    expect(await statusAttribute(handle)).toBe('HELD');
    // A retried Update-with-Start lands on the running workflow: same hold, no second holdSeats.
    expect(await handle.executeUpdate(holdUpdate)).toEqual(held);

    expect(await handle.executeUpdate(cancelUpdate)).toEqual({ ok: true, status: 'CANCELLED' });
    expect(await handle.result()).toMatchObject({ status: 'CANCELLED', reason: 'cancelled by the user' });
    expect(scenario.names()).toEqual(['holdSeats', 'releaseReservation']);
    expect(scenario.inputs('releaseReservation')[0]).toMatchObject({ status: 'CANCELLED' });
    expect(await statusAttribute(handle)).toBe('CANCELLED');
  });

  it.each(['SEAT_UNAVAILABLE', 'TICKET_LIMIT', 'SALE_PAUSED', 'PERFORMANCE_CANCELLED'] as const)('a refused hold (%s) is answered as refused, with nothing to release', async (code) => {
    const refusal = code === 'SEAT_UNAVAILABLE' ? { ok: false as const, code, unavailableSeatIds: [101] } : code === 'TICKET_LIMIT' ? { ok: false as const, code, limit: 4, held: 4 } : { ok: false as const, code };
    const { handle, held, scenario } = await holdReservation(bed, { script: { holdSeats: () => refusal } });
    expect(held).toEqual(refusal);
    expect(await handle.result()).toMatchObject({ status: 'REJECTED', reason: code });
    expect(scenario.names()).toEqual(['holdSeats']);
    expect(await statusAttribute(handle)).toBe('REJECTED');
  });

  it('a hold that cannot be written answers HOLD_FAILED, undoes what may have landed, and fails the run', async () => {
    const { handle, held, scenario } = await holdReservation(bed, {
      script: {
        holdSeats: () => {
          throw new Error('MySQL unreachable');
        },
      },
    });
    expect(held).toEqual({ ok: false, code: 'HOLD_FAILED' });
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe('HoldFailed');
    // Three attempts (the local activity's limit), then the undo.
    expect(scenario.names()).toEqual(['holdSeats', 'holdSeats', 'holdSeats', 'releaseFailedHold']);
    expect(await statusAttribute(handle)).toBe('REJECTED');
  });

  it('pays and confirms', async () => {
    const { handle, scenario, reservationId, held } = await holdReservation(bed);
    expect(await handle.executeUpdate(payUpdate)).toEqual({ ok: true, status: 'CONFIRMED', paymentId: 11, amount: HOLD_AMOUNT });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentAttempts: 1 });
    expect(scenario.names()).toEqual(['holdSeats', 'debitWallet', 'confirmReservation']);
    // Payment debits on its own queue with the hold's facts; booking confirms on its own.
    expect(scenario.queues('debitWallet')).toEqual(['payment']);
    expect(scenario.inputs('debitWallet')).toEqual([{ reservationId, userId: 7, amount: HOLD_AMOUNT, expiresAt: held.ok ? held.expiresAt : undefined }]);
    expect(scenario.queues('confirmReservation')).toEqual(['booking']);
    expect(scenario.inputs('confirmReservation')).toEqual([{ reservationId }]);
    expect(await statusAttribute(handle)).toBe('CONFIRMED');
  });

  it('a refused payment leaves the hold, and a later payment confirms', async () => {
    const { handle, scenario } = await holdReservation(bed, {
      script: { debitWallet: (_input, attempt) => (attempt === 1 ? { ok: false, code: 'INSUFFICIENT_BALANCE', detail: 'balance 0' } : { ok: true, paymentId: 12, amount: HOLD_AMOUNT }) },
    });
    expect(await handle.executeUpdate(payUpdate)).toEqual({ ok: false, code: 'INSUFFICIENT_BALANCE', detail: 'balance 0', status: 'HELD' });
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    expect(await handle.executeUpdate(payUpdate)).toMatchObject({ ok: true, status: 'CONFIRMED', paymentId: 12 });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', paymentAttempts: 2 });
    expect(scenario.names()).toEqual(['holdSeats', 'debitWallet', 'debitWallet', 'confirmReservation']);
  });

  it('a payment the payment step finds expired is answered RESERVATION_EXPIRED; the timer still closes the hold', async () => {
    // Payment's rule: no debit at or after the hold's expiresAt (its clock may run ahead of the
    // workflow's timer). The fake judges by the expiresAt the workflow hands it, as if it were past.
    const { handle, scenario, held } = await holdReservation(bed, { script: { debitWallet: (input) => ({ ok: false, code: 'RESERVATION_EXPIRED', detail: `hold ended at ${input.expiresAt}` }) } });
    const expiresAt = held.ok ? held.expiresAt : '';
    expect(await handle.executeUpdate(payUpdate)).toEqual({ ok: false, code: 'RESERVATION_EXPIRED', detail: `hold ended at ${expiresAt}`, status: 'HELD' });
    // Nothing was charged or confirmed; the hold is closed by the workflow's own timer, not by the payment.
    expect(scenario.names()).toEqual(['holdSeats', 'debitWallet']);
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    await handle.executeUpdate(cancelUpdate);
    await handle.result();
  });

  it('a confirmation that fails after the debit refunds first, then releases as FAILED (the refund retried until it lands)', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed, {
      script: {
        confirmReservation: confirmationRejected,
        refundWallet: (_input, attempt) => {
          if (attempt === 1) throw new Error('wallet database unreachable');
          return { refunded: true, amount: HOLD_AMOUNT };
        },
      },
    });
    expect(await handle.executeUpdate(payUpdate)).toEqual({ ok: false, code: 'PAYMENT_FAILED', detail: 'The seats could not be confirmed; the payment was refunded', status: 'FAILED' });
    expect(await handle.result()).toMatchObject({ status: 'FAILED', reason: 'confirmation failed after payment; refunded' });
    // Rejected confirmation is not retried (ConfirmationRejected is non-retryable); the refund is.
    expect(scenario.names()).toEqual(['holdSeats', 'debitWallet', 'confirmReservation', 'refundWallet', 'refundWallet', 'releaseReservation']);
    expect(scenario.queues('refundWallet')).toEqual(['payment', 'payment']);
    expect(scenario.inputs('refundWallet')[1]).toEqual({ reservationId, reason: 'confirmation failed' });
    expect(scenario.inputs('releaseReservation')[0]).toMatchObject({ status: 'FAILED' });
    expect(await statusAttribute(handle)).toBe('FAILED');
  });

  it('expires when the hold runs out, and a payment after that is refused by Temporal', async () => {
    const { handle, scenario } = await holdReservation(bed, { holdTtlMs: SHORT_EXPIRY_MS });
    expect(await handle.result()).toMatchObject({ status: 'EXPIRED', reason: 'hold expired before payment', paymentAttempts: 0 });
    expect(scenario.names()).toEqual(['holdSeats', 'releaseReservation']);
    expect(scenario.inputs('releaseReservation')[0]).toMatchObject({ status: 'EXPIRED' });
    expect(await statusAttribute(handle)).toBe('EXPIRED');
    await expect(handle.executeUpdate(payUpdate)).rejects.toThrow(/completed/i);
    expect(scenario.names()).not.toContain('debitWallet');
  });

  it('a payment that races the expiry (accepted while the hold is being released) is answered RESERVATION_EXPIRED', async () => {
    const { handle, scenario, answer } = await updateDuringExpiry(bed, payUpdate);
    expect(answer).toEqual({ ok: false, code: 'RESERVATION_EXPIRED', detail: 'reservation is EXPIRED', status: 'EXPIRED' });
    expect((await handle.result()).status).toBe('EXPIRED');
    expect(scenario.names()).not.toContain('debitWallet');
  });

  it('a cancel that races the expiry is answered NOT_CANCELLABLE with the expiry', async () => {
    const { handle, scenario, answer } = await updateDuringExpiry(bed, cancelUpdate);
    expect(answer).toEqual({ ok: false, code: 'NOT_CANCELLABLE', detail: 'reservation is EXPIRED', status: 'EXPIRED' });
    // One release only, the expiry's.
    expect(scenario.inputs('releaseReservation')).toHaveLength(1);
    expect((await handle.result()).status).toBe('EXPIRED');
  });
});
