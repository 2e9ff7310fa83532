/**
 * The reservation workflow's contract with the rest of the system, in one file (the way Temporal's
 * samples keep a `shared.ts`): its type name, task queue, id, input and output, updates, query, signal,
 * search attributes, and the rule that turns its status into an update's refusal. The workflow (in
 * the sandbox), booking's client (src/booking/reservation-workflows.ts), payment's webhook delivery and
 * the activities read it here. It imports only Temporal's definitions, so the sandbox can load it and
 * every capability may depend on it without a loop.
 *
 * Renaming anything here changes recorded histories (test/replay) or running workflows: these strings
 * are wire format.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The exported function's name in workflows/index.ts (a test checks they agree). */
export const RESERVATION_WORKFLOW_TYPE = 'reservationWorkflow';
/** The booking worker's task queue (TEMPORAL_TASK_QUEUE overrides it, e.g. one per test file). */
export const BOOKING_TASK_QUEUE = 'booking';

/** One workflow per reservation; the id is derived from the reservation id (itself from the Idempotency-Key). */
export const reservationWorkflowId = (reservationId: string) => `reservation-${reservationId}`;
/** A reservation id as src/booking/ids.ts derives it: 24 hex characters (routes reject anything else as 404). */
export const RESERVATION_ID_PATTERN = /^[a-f0-9]{24}$/;

/** Every reservation status, in one place: the table's enum, the API's schema and booking's domain read it. */
export const reservationStatuses = ['HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'FAILED', 'REFUNDED'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];
/** The statuses that keep seats: a hold or a purchase (ticket limit, live seats, cancellations). */
export const liveReservationStatuses = ['HELD', 'CONFIRMED'] as const satisfies readonly ReservationStatus[];

/**
 * A seat as a reservation holds it: its position and the price it was held at. The API's zod schema
 * (src/events/held-seat.ts) is checked against this type by tsc.
 */
export interface HeldSeat {
  seatId: number;
  section: string;
  row: string;
  number: number;
  /** Absent in holds recorded before the tier was carried (workflow histories, old events). */
  tier?: string | undefined;
  price: number;
}

export interface ReservationInput {
  reservationId: string;
  userId: number;
  scheduleId: number;
  concertId: number;
  seatIds: number[];
  holdTtlMs: number;
  /** Payment's task queue (PAYMENT_TASK_QUEUE); absent in workflows started before it existed. */
  paymentTaskQueue?: string;
}

export type HoldResult =
  | { ok: true; reservationId: string; seats: HeldSeat[]; amount: number; expiresAt: string; heldAt?: string }
  | { ok: false; code: 'SEAT_UNAVAILABLE'; unavailableSeatIds: number[] }
  | { ok: false; code: 'TICKET_LIMIT'; limit: number; held: number }
  // The schedule's status, read under its share lock in the hold transaction (an organiser paused the
  // sale or is cancelling the performance since the API's cached check).
  | { ok: false; code: 'SALE_PAUSED' }
  | { ok: false; code: 'PERFORMANCE_CANCELLED' }
  | { ok: false; code: 'HOLD_FAILED' };

export type PayResult =
  | { ok: true; status: 'CONFIRMED'; paymentId: number; amount: number }
  | { ok: false; code: 'INSUFFICIENT_BALANCE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE' | 'PAYMENT_FAILED'; detail: string; status: WorkflowStatus };

export type CancelResult = { ok: true; status: ReservationStatus } | { ok: false; code: 'NOT_CANCELLABLE'; detail: string; status: WorkflowStatus };

/** The workflow's own view: PENDING before the hold answers, REJECTED when the seats were taken. */
export type WorkflowStatus = 'PENDING' | 'REJECTED' | ReservationStatus;

export interface ReservationState {
  reservationId: string;
  status: WorkflowStatus;
  expiresAt?: string;
  amount?: number;
  paymentAttempts: number;
  reason?: string;
}

/** The release activity's input: the status the reservation closes with. */
export interface ReleaseInput {
  reservationId: string;
  status: 'EXPIRED' | 'CANCELLED' | 'FAILED' | 'REFUNDED';
  reason: string;
}

/** The `payCard` update's answer: the client confirms the payment with the provider, then waits. */
export type CardPayResult =
  | { ok: true; status: 'PAYMENT_PENDING'; providerPaymentId: string; clientSecret: string; amount: number; currency: string }
  | { ok: false; code: 'PROVIDER_UNAVAILABLE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE' | 'ALREADY_PAID'; detail: string; status: WorkflowStatus };

/** What the provider says about a payment, re-fetched by the webhook (never the webhook's body). */
export interface CardOutcome {
  providerPaymentId: string;
  status: 'SUCCEEDED' | 'FAILED';
  reason?: string;
}

export type ReservationWorkflow = (input: ReservationInput) => Promise<ReservationState>;

/** Update-with-Start target: answers with the hold result as soon as the seats are held (or not). */
export const holdUpdate = defineUpdate<HoldResult>('hold');
export const payUpdate = defineUpdate<PayResult>('pay');
export const cancelUpdate = defineUpdate<CancelResult>('cancel');
export const stateQuery = defineQuery<ReservationState>('state');
/** Card payments (docs/payments.md): start (or rejoin) the reservation's provider payment. */
export const cardPayUpdate = defineUpdate<CardPayResult>('payCard');
/** The provider's verdict on the reservation's card payment, sent by the webhook and the reconciliation. */
export const cardOutcomeSignal = defineSignal<[CardOutcome]>('cardOutcome');
/**
 * The API created the reservation's provider payment itself (payment's port, docs/payments.md) and
 * tells the workflow its id before answering the buyer 202, so the expiry step can cancel it.
 */
export const cardStartedSignal = defineSignal<[CardStarted]>('cardStarted');
export interface CardStarted {
  providerPaymentId: string;
}

/** Why an update on a reservation in `status` is refused; undefined while it is HELD (the only open status). */
export type UpdateRefusal = 'RESERVATION_EXPIRED' | 'ALREADY_PAID' | 'NOT_ALLOWED';
export function updateRefusal(status: WorkflowStatus, action: 'pay' | 'cancel'): UpdateRefusal | undefined {
  if (status === 'HELD') return undefined;
  if (status === 'EXPIRED') return 'RESERVATION_EXPIRED';
  return status === 'CONFIRMED' && action === 'pay' ? 'ALREADY_PAID' : 'NOT_ALLOWED';
}

/**
 * Custom search attributes that let operators filter reservations in the Temporal Web UI, e.g.
 * `ReservationStatus = "HELD"`. Registered on the dev server from `searchAttributes` below
 * (scripts/stack.sh's list is checked against it by test/unit/workflow-contracts.test.ts).
 */
/**
 * Since this patch every card step is payment's activity on payment's task queue (its worker, its
 * database), where before it ran as a (local) activity of booking's worker. The late-payment and
 * reconciliation workflows move under the same name (their contracts re-export it).
 */
export const CARD_QUEUE_PATCH = 'card-payment-task-queue';

export const reservationStatusKey = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const userIdKey = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
export const scheduleIdKey = defineSearchAttributeKey('ScheduleId', SearchAttributeType.KEYWORD);
export const concertIdKey = defineSearchAttributeKey('ConcertId', SearchAttributeType.KEYWORD);
export const searchAttributes = [reservationStatusKey, userIdKey, scheduleIdKey, concertIdKey];
/** The status a confirmed reservation shows while its refund workflow runs (not a reservation status). */
export const REFUNDING = 'REFUNDING';
