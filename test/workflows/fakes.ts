/**
 * Fake activities for the workflow unit tests, handed to the worker as plain functions (vi.mock
 * cannot reach the workflow sandbox, and need not: activities are the workflow's only way out).
 *
 * One worker serves a whole test file, so each call is routed to the scenario of the workflow that
 * made it, found by the ids in its input (reservation, provider payment, schedule; `alias` adds
 * more). A scenario records every call in order, answers with its script or a happy-path default,
 * and can hold one call at a gate until the test opens it: that is how a test puts an update or a
 * signal exactly between two steps of a workflow, without racing the clock.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { BookingActivities, PaymentActivities } from './support.js';

/** Booking's activities and payment's (on payment's own task queue): the card steps are on both, the same. */
type AllActivities = BookingActivities & PaymentActivities;
type Name = keyof AllActivities;
type Input<K extends Name> = Parameters<AllActivities[K]>[0];
type Output<K extends Name> = Awaited<ReturnType<AllActivities[K]>>;
type Impl<K extends Name> = (input: Input<K>, attempt: number) => Output<K> | Promise<Output<K>>;
export type Script = { [K in Name]?: Impl<K> };

/** Which worker ran a call: booking's task queue, or payment's (PAYMENT_TASK_QUEUE). */
export type Queue = 'booking' | 'payment';

export interface Call {
  name: Name;
  input: unknown;
  queue: Queue;
}

export const HOLD_AMOUNT = 20_000;
export const cardPaymentId = (reservationId: string, n = 1) => `pi_${n}_${reservationId}`;

/** What each activity answers when a scenario does not say otherwise: the happy path. */
const defaults: { [K in Name]: Impl<K> } = {
  holdSeats: (input) => ({
    ok: true,
    reservationId: input.reservationId,
    seats: input.seatIds.map((seatId, i) => ({ seatId, section: 'A', row: '1', number: i + 1, tier: 'R', price: HOLD_AMOUNT / input.seatIds.length })),
    amount: HOLD_AMOUNT,
    expiresAt: new Date(Date.now() + input.holdTtlMs).toISOString(),
  }),
  payReservation: () => ({ ok: true, paymentId: 11, amount: HOLD_AMOUNT }),
  confirmReservation: () => undefined,
  refundPayment: () => ({ refunded: true, amount: HOLD_AMOUNT }),
  startRefund: () => 'STARTED',
  debitWallet: (input) => ({ ok: true, paymentId: 11, amount: input.amount }),
  refundWallet: () => ({ refunded: true, amount: HOLD_AMOUNT }),
  refundPurchase: () => ({ refunded: true, amount: HOLD_AMOUNT }),
  releaseReservation: () => ({ changed: true }),
  releaseFailedHold: () => ({ changed: false }),
  startCardPayment: (input) => ({ ok: true, providerPaymentId: cardPaymentId(input.reservationId), clientSecret: 'secret', amount: input.amount, currency: 'krw' }),
  recordCardSuccess: () => ({ ok: true, paymentId: 12, amount: HOLD_AMOUNT }),
  recordCardFailure: () => undefined,
  settleCardBeforeClose: () => 'CANCELED',
  settleLatePayment: () => 'REFUNDED',
  reconcilePayments: () => ({ checked: 0, applied: 0, refunded: 0, mismatches: 0 }),
  sweepExpiredHolds: () => ({ released: 0 }),
  stopSales: () => ({ liveAtStart: 0 }),
  liveReservationsOf: () => [],
  cancelReservations: () => ({ holdsReleased: 0, purchasesRefunded: 0, amountRefunded: 0 }),
  closeScheduleQueue: () => undefined,
  closeWaitingList: () => undefined,
  finishCancellation: () => ({ admittedKept: 0 }),
};

const scenarios = new Map<string, Scenario>();

/** The ids an activity's input names its workflow by, most specific first. */
function keysOf(name: Name, input: unknown): string[] {
  const i = (input ?? {}) as { reservationId?: string; providerPaymentId?: string; scheduleId?: number; reservationIds?: string[] };
  const keys = [i.reservationId, i.providerPaymentId, i.scheduleId === undefined ? undefined : `schedule-${i.scheduleId}`, i.reservationIds?.[0], name];
  return keys.filter((k): k is string => k !== undefined);
}

interface Gate {
  arrived: (input: unknown) => void;
  opened: Promise<void>;
  open: () => void;
  everyCall: boolean;
}

export class Scenario {
  readonly calls: Call[] = [];
  private readonly gates = new Map<Name, Gate>();
  private readonly held = new Set<Gate>();
  private readonly attempts = new Map<Name, number>();
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly key: string,
    readonly script: Script = {},
  ) {
    scenarios.set(key, this);
  }

  /** Routes calls naming `id` (a provider payment, a reservation of a batch) to this scenario. */
  alias(id: string): this {
    scenarios.set(id, this);
    return this;
  }

  names(): Name[] {
    return this.calls.map((c) => c.name);
  }

  /** The task queue each call of `name` ran on, in order. */
  queues(name: Name): Queue[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.queue);
  }

  inputs<K extends Name>(name: K): Input<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as Input<K>);
  }

  /** Resolves once `name` has been called `count` times in all. */
  async called(name: Name, count = 1): Promise<void> {
    while (this.inputs(name).length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * The next call of `name` stops before it answers: `reached` resolves with its input, and it
   * answers once `open()` is called. `everyCall` holds every call until then, retries included: a
   * local activity held for long may be run again (its workflow task timed out and was replayed).
   */
  gate<K extends Name>(name: K, opts: { everyCall?: boolean } = {}): { reached: Promise<Input<K>>; open: () => void } {
    let arrived!: (input: unknown) => void;
    let open!: () => void;
    const reached = new Promise<Input<K>>((resolve) => (arrived = resolve as (input: unknown) => void));
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(name, { arrived, opened, open, everyCall: opts.everyCall ?? false });
    return { reached, open };
  }

  async run<K extends Name>(name: K, input: Input<K>, queue: Queue): Promise<Output<K>> {
    const attempt = (this.attempts.get(name) ?? 0) + 1;
    this.attempts.set(name, attempt);
    this.calls.push({ name, input, queue });
    for (const wake of this.waiters.splice(0)) wake();
    const gate = this.gates.get(name);
    if (gate) {
      this.held.add(gate);
      if (!gate.everyCall) this.gates.delete(name);
      gate.arrived(input);
      await gate.opened;
      this.held.delete(gate);
    }
    const impl = (this.script[name] ?? defaults[name]) as Impl<K>;
    return impl(input, attempt);
  }

  /** Lets every call held at a gate through (a failed test must not leave the worker waiting). */
  openGates(): void {
    for (const gate of [...this.gates.values(), ...this.held]) gate.open();
  }

  /** Forgets this scenario's routes (the workflow is over). */
  dispose(): void {
    for (const [k, s] of scenarios) if (s === this) scenarios.delete(k);
  }
}

/** At the end of a file: every gate opened, so no activity keeps the worker from shutting down. */
export function openAllGates(): void {
  for (const s of new Set(scenarios.values())) s.openGates();
}

/** The names served on payment's task queue (activities/payment.ts); every name is on booking's but these three. */
const paymentOnly = ['debitWallet', 'refundWallet', 'refundPurchase'] as const satisfies readonly Name[];
const paymentNames: readonly Name[] = [...paymentOnly, 'startCardPayment', 'recordCardSuccess', 'recordCardFailure', 'settleCardBeforeClose', 'settleLatePayment', 'reconcilePayments'];

/** The given activities as plain functions, each call routed to the scenario of the workflow that made it. */
function routed(names: readonly Name[], queue: Queue) {
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (input: unknown) => {
        const scenario = keysOf(name, input)
          .map((k) => scenarios.get(k))
          .find((s) => s !== undefined);
        if (!scenario) throw ApplicationFailure.create({ type: 'NoScenario', message: `no scenario answers ${name}(${JSON.stringify(input)})`, nonRetryable: true });
        return scenario.run(name, input as never, queue);
      },
    ]),
  );
}

/** Every activity of the booking task queue. */
export const fakeActivities = routed(
  (Object.keys(defaults) as Name[]).filter((n) => !(paymentOnly as readonly Name[]).includes(n)),
  'booking',
) as unknown as BookingActivities;

/** Every activity of payment's task queue. */
export const fakePaymentActivities = routed(paymentNames, 'payment') as unknown as PaymentActivities;

/** The failure confirmReservation raises when the seats cannot be sold (activities/booking/reservation.ts). */
export const confirmationRejected = () => {
  throw ApplicationFailure.create({ type: 'ConfirmationRejected', message: 'seats no longer held', nonRetryable: true });
};
