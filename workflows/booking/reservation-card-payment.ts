import { condition, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { CARD_QUEUE_PATCH, cardOutcomeSignal, cardPayUpdate, cardStartedSignal, type CardOutcome, type CardPayResult, type WorkflowStatus } from './reservation-contract.js';

/** What a payment activity answers (payment's own type, read off the activity interface). */
export type PaymentOutcome = Awaited<ReturnType<BookingActivities['payReservation']>>;

/** Marks histories that ran the card payment code (docs/payments.md). */
export const CARD_PAYMENT_PATCH = 'card-payments';
/**
 * Since this patch the API creates the provider payment itself and tells the workflow its id with the
 * `cardStarted` signal (no update, no activity on the buyer's path). A signal that lands after the
 * close step already ran (the hold expired between the API's check and its signal) is settled when
 * the workflow closes: cancelled at the provider, or refunded as a late payment if it had succeeded.
 */
export const CARD_STARTED_BY_API_PATCH = 'card-started-by-api';

// On the buyer's path: local activities, like the wallet payment. Creating the provider payment is
// answered at once (a provider outage is a 503 for the buyer, not a retry loop).
const starting = proxyLocalActivities<BookingActivities>({ startToCloseTimeout: '20s', retry: { maximumAttempts: 2, initialInterval: '200ms' } });
// Recording a verdict the provider already gave must finish: idempotent, retried until MySQL answers.
const recording = proxyLocalActivities<BookingActivities>({ startToCloseTimeout: '10s', retry: { initialInterval: '100ms', maximumInterval: '5s' } });
// Cancelling at the provider before a hold closes: bounded, so a provider outage does not keep seats
// past their expiry for long; a success that lands later is refunded as a late payment.
const { settleCardBeforeClose } = proxyActivities<BookingActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 8 },
});
// Money back for a success we did not apply: retried through any provider outage.
const lateRetry = { startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumInterval: '1m' } } as const;
const { settleLatePayment } = proxyActivities<BookingActivities>(lateRetry);

/**
 * The same steps with the same retry rules, on payment's task queue (CARD_QUEUE_PATCH: one server
 * round trip more on the buyer's start and record steps; booking's worker holds no payment credentials).
 */
export function cardStepsOn(taskQueue: string) {
  return {
    starting: proxyActivities<PaymentActivities>({ taskQueue, startToCloseTimeout: '20s', retry: { maximumAttempts: 2, initialInterval: '200ms' } }),
    recording: proxyActivities<PaymentActivities>({ taskQueue, startToCloseTimeout: '10s', retry: { initialInterval: '100ms', maximumInterval: '5s' } }),
    settling: proxyActivities<PaymentActivities>({ taskQueue, startToCloseTimeout: '15s', retry: { initialInterval: '500ms', maximumInterval: '5s', maximumAttempts: 8 } }),
    late: proxyActivities<PaymentActivities>({ taskQueue, ...lateRetry }),
  };
}

export interface CardFlowContext {
  reservationId: string;
  userId: number;
  /** Payment's task queue (PAYMENT_TASK_QUEUE). */
  paymentTaskQueue: string;
  amount(): number | undefined;
  status(): WorkflowStatus;
  /** The reservation workflow's own rule (HELD only), shared with the wallet's pay update. */
  validate(): void;
}

/**
 * The card side of one reservation's workflow: the `payCard` update starts (or rejoins) the provider
 * payment, the `cardOutcome` signal brings the provider's verdict. The reservation workflow runs the
 * steps from its main loop, so paying, expiring and cancelling stay serialised in one place.
 */
export function cardPaymentFlow(ctx: CardFlowContext) {
  let requested = 0;
  let answered = 0;
  const answers = new Map<number, CardPayResult>();
  const outcomes: CardOutcome[] = [];
  let providerPaymentId: string | undefined;
  // Learned from the API's cardStarted signal (not from this workflow's own start step), and the id
  // the close step cancelled at the provider, if any.
  let startedByApi = false;
  let settled: string | undefined;
  let applied: string | undefined;
  // Successes that may not be applied (the reservation was paid otherwise, or is being cancelled).
  const unapplied = new Set<string>();
  // Successes payment did not know yet (a webhook faster than the API's record of the payment):
  // tried once more when the API's cardStarted signal says the payment is recorded.
  const unknown = new Set<string>();
  const retried = new Set<string>();
  const retryUnknown = (id: string) => {
    if (!unknown.delete(id) || retried.has(id)) return;
    retried.add(id);
    outcomes.push({ providerPaymentId: id, status: 'SUCCEEDED' });
  };
  const onPayments = cardStepsOn(ctx.paymentTaskQueue);
  // Decided at each step: a workflow started before the patch moves its later steps over too.
  const steps = () =>
    patched(CARD_QUEUE_PATCH)
      ? { ...onPayments, settleCardBeforeClose: onPayments.settling.settleCardBeforeClose, settleLatePayment: onPayments.late.settleLatePayment }
      : { starting, recording, settleCardBeforeClose, settleLatePayment };

  setHandler(
    cardPayUpdate,
    async () => {
      const round = ++requested;
      await condition(() => answers.has(round));
      return answers.get(round)!;
    },
    { validator: ctx.validate },
  );
  // Duplicates and stale verdicts are harmless: every step below is idempotent by payment id.
  setHandler(cardOutcomeSignal, (outcome) => void outcomes.push(outcome));
  // Remembered for the expiry (or cancel) step, which cancels it; nothing runs until then, unless its
  // success already came and payment did not know the payment yet.
  setHandler(cardStartedSignal, (started) => {
    providerPaymentId = started.providerPaymentId;
    startedByApi = true;
    retryUnknown(started.providerPaymentId);
  });

  const record = async (id: string): Promise<PaymentOutcome | undefined> => {
    const paid = await steps().recording.recordCardSuccess({ reservationId: ctx.reservationId, providerPaymentId: id });
    if (paid.ok) {
      applied = id;
      return paid;
    }
    if (paid.code === 'ALREADY_PAID') {
      unapplied.add(id);
      return undefined;
    }
    unknown.add(id);
    // The signal came while this step ran: the payment is recorded by now.
    if (startedByApi && id === providerPaymentId) retryUnknown(id);
    return undefined;
  };

  return {
    hasWork: () => requested > answered || outcomes.length > 0,

    /** One piece of card work; a payment outcome when a success was applied (the caller confirms). */
    async step(): Promise<PaymentOutcome | undefined> {
      patched(CARD_PAYMENT_PATCH);
      if (requested > answered) {
        const upTo = requested;
        const started = await steps()
          .starting
          .startCardPayment({ reservationId: ctx.reservationId, userId: ctx.userId, amount: ctx.amount() ?? 0 })
          .catch((err: unknown) => ({ ok: false, code: 'PROVIDER_UNAVAILABLE', detail: String(err) }) as const);
        if (started.ok) providerPaymentId = started.providerPaymentId;
        const answer: CardPayResult = started.ok ? { ...started, status: 'PAYMENT_PENDING' } : { ...started, status: ctx.status() };
        for (let r = answered + 1; r <= upTo; r++) answers.set(r, answer);
        answered = upTo;
        return undefined;
      }
      const outcome = outcomes.shift()!;
      if (outcome.status === 'FAILED') {
        await steps().recording.recordCardFailure({ reservationId: ctx.reservationId, providerPaymentId: outcome.providerPaymentId, reason: outcome.reason ?? 'declined' });
        return undefined;
      }
      return record(outcome.providerPaymentId);
    },

    /**
     * Before the hold closes: cancel the pending provider payment. If the provider says it already
     * succeeded, the success is applied (expiry: the caller confirms; the seats are still held) or,
     * when `apply` is false (the buyer cancelled), kept for refundUnapplied.
     */
    async settleBeforeClose(apply: boolean): Promise<PaymentOutcome | undefined> {
      if (!providerPaymentId) return undefined;
      settled = providerPaymentId;
      const settlement = await steps().settleCardBeforeClose({ reservationId: ctx.reservationId }).catch(() => 'UNREACHABLE' as const);
      if (settlement !== 'SUCCEEDED') return undefined;
      if (!apply) {
        unapplied.add(providerPaymentId);
        return undefined;
      }
      return record(providerPaymentId);
    },

    /** After the reservation closed: every success it received but did not apply is refunded. */
    async refundUnapplied(): Promise<void> {
      // A payment the API started while the reservation was closing (its signal came after the close
      // step): cancelled at the provider so nobody can pay it now; one that already succeeded is refunded.
      const unsettled = startedByApi && providerPaymentId !== undefined && providerPaymentId !== settled && providerPaymentId !== applied;
      if (unsettled && patched(CARD_STARTED_BY_API_PATCH)) {
        const settlement = await steps().settleCardBeforeClose({ reservationId: ctx.reservationId }).catch(() => 'UNREACHABLE' as const);
        if (settlement === 'SUCCEEDED') unapplied.add(providerPaymentId!);
      }
      for (const o of outcomes) if (o.status === 'SUCCEEDED') unapplied.add(o.providerPaymentId);
      outcomes.length = 0;
      if (applied) unapplied.delete(applied);
      for (const id of unapplied) await steps().settleLatePayment({ providerPaymentId: id, reason: `reservation ${ctx.reservationId} is ${ctx.status()}` });
    },

    /** Answers a payCard update accepted while the reservation was closing. */
    answerClosed(code: 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE' | 'ALREADY_PAID'): void {
      for (let r = answered + 1; r <= requested; r++) answers.set(r, { ok: false, code, detail: `reservation is ${ctx.status()}`, status: ctx.status() });
      answered = requested;
    },
  };
}
