/**
 * Unit tests of the ticket-transfer workflow (workflows/ticketing/transfer.ts) with fake transfer
 * activities: each scenario, keyed by its transfer id, scripts the three steps and records the
 * calls; a step can wait at a gate the test opens, which puts an update exactly while the move runs.
 *
 * Branches, and the test that covers each:
 *  - offer recorded, then accepted: the move with the recipient, ACCEPTED ........... 'accept'
 *  - offer recorded, then declined / withdrawn: closeTransfer DECLINED / WITHDRAWN .. 'decline', 'withdraw'
 *  - nobody answers before the deadline: closeTransfer LAPSED (DEADLINE) ............ 'lapse'
 *  - the move refuses (a scan came first): the accept answers the lapse with it ..... 'the move refuses'
 *  - the offer refused (the ticket was scanned): REFUSED, no other step .............. 'a refused offer'
 *  - validators: accept/decline/withdraw refused while OPENING (TRANSFER_NOT_OPEN), and once a
 *    decision was taken (TRANSFER_CLOSED), leaving no trace in the history ........... 'validators'
 */
import { describe, expect, it } from 'vitest';
import { recordHistory } from '../support/histories.js';
import { fakeActivities, fakePaymentActivities } from './fakes.js';
import {
  acceptUpdate,
  declineUpdate,
  expectRefused,
  offerUpdate,
  ticketTransferWorkflow,
  transferStateQuery,
  withdrawUpdate,
  workflowTestBed,
  type BookingActivities,
  type OfferResult,
  type TransferActivities,
  type TransferInput,
  type TransferOutcome,
  type WorkflowTestBed,
} from './support.js';
import { afterAll, beforeAll } from 'vitest';

interface TransferScript {
  open?: (input: TransferInput) => OfferResult | Promise<OfferResult>;
  move?: () => TransferOutcome | Promise<TransferOutcome> | undefined;
  /** The offer's deadline from now (default a minute). */
  ttlMs?: number;
}
const scripts = new Map<string, TransferScript>();
const calls = new Map<string, string[]>();
const record = (id: string, what: string) => calls.set(id, [...(calls.get(id) ?? []), what]);

const transferFakes: TransferActivities = {
  async openTransfer(input) {
    record(input.transferId, 'openTransfer');
    const s = scripts.get(input.transferId);
    return (await s?.open?.(input)) ?? { ok: true, transferId: input.transferId, expiresAt: new Date(Date.now() + (s?.ttlMs ?? 60_000)).toISOString() };
  },
  async moveTransferredTicket(input) {
    record(input.transferId, `move:${input.toUserId}`);
    return (await scripts.get(input.transferId)?.move?.()) ?? { transferId: input.transferId, status: 'ACCEPTED', reason: null };
  },
  async closeTransfer(input) {
    record(input.transferId, `close:${input.status}:${input.reason ?? ''}`);
    return { transferId: input.transferId, status: input.status, reason: input.reason };
  },
};

const bed = {} as WorkflowTestBed;
beforeAll(async () => {
  Object.assign(bed, await workflowTestBed({ ...fakeActivities, ...transferFakes } as BookingActivities, fakePaymentActivities));
});
afterAll(async () => {
  // A failed test may leave a step at its gate: let it finish so the worker can shut down.
  for (const open of openGates) open();
  await bed.close?.();
});

/** Starts a transfer's workflow as the API does and returns its handle and the offer's answer. */
async function start(script: TransferScript = {}, record?: string) {
  const transferId = bed.newId('t');
  scripts.set(transferId, script);
  const input: TransferInput = { transferId, ticketId: 9001, fromUserId: 42, recipientSealed: 'v1.sealed', recipientIndex: 'a'.repeat(64), recipientUserId: 43 };
  const handle = await bed.client.workflow.start(ticketTransferWorkflow, { workflowId: `transfer-${transferId}`, taskQueue: bed.taskQueue, args: [input] });
  const finish = async () => {
    const result = await handle.result();
    if (record) await recordHistory(handle, record);
    return result;
  };
  return { transferId, handle, finish };
}

const openGates: Array<() => void> = [];
/** A gate a step waits at until the test opens it (or the file ends: then with `fallback`). */
function gate<T>(fallback: T) {
  let open!: (v: T) => void;
  const closed = new Promise<T>((r) => (open = r));
  openGates.push(() => open(fallback));
  return { closed, open };
}

describe.concurrent('ticket transfer workflow', () => {
  it('accept: the offer is recorded, then the move runs for the recipient and the workflow ends ACCEPTED', async () => {
    const { transferId, handle, finish } = await start({}, 'transfer-accept');
    expect(await handle.executeUpdate(offerUpdate)).toMatchObject({ ok: true, transferId });
    expect(await handle.query(transferStateQuery)).toMatchObject({ status: 'PENDING' });
    expect(await handle.executeUpdate(acceptUpdate, { args: [{ userId: 43 }] })).toEqual({ transferId, status: 'ACCEPTED', reason: null });
    expect(await finish()).toEqual({ transferId, status: 'ACCEPTED', reason: null });
    expect(calls.get(transferId)).toEqual(['openTransfer', 'move:43']);
  });

  it('decline: the offer closes DECLINED, nothing moves', async () => {
    const { transferId, handle, finish } = await start({}, 'transfer-decline');
    await handle.executeUpdate(offerUpdate);
    expect((await handle.executeUpdate(declineUpdate)).status).toBe('DECLINED');
    expect(await finish()).toEqual({ transferId, status: 'DECLINED', reason: null });
    expect(calls.get(transferId)).toEqual(['openTransfer', 'close:DECLINED:']);
  });

  it('withdraw: the holder takes the offer back, it closes WITHDRAWN', async () => {
    const { transferId, handle, finish } = await start();
    await handle.executeUpdate(offerUpdate);
    expect((await handle.executeUpdate(withdrawUpdate)).status).toBe('WITHDRAWN');
    expect((await finish()).status).toBe('WITHDRAWN');
    expect(calls.get(transferId)).toEqual(['openTransfer', 'close:WITHDRAWN:']);
  });

  it('lapse: nobody answers before the deadline, the offer closes LAPSED (DEADLINE) by the workflow timer', async () => {
    const { transferId, handle, finish } = await start({ ttlMs: 1_500 }, 'transfer-lapse');
    await handle.executeUpdate(offerUpdate);
    expect(await finish()).toEqual({ transferId, status: 'LAPSED', reason: 'DEADLINE' });
    expect(calls.get(transferId)).toEqual(['openTransfer', 'close:LAPSED:DEADLINE']);
  });

  it('the move refuses (the ticket was scanned after the offer): the accept answers with the lapse and its reason', async () => {
    const { transferId, handle, finish } = await start({ move: () => ({ transferId: '', status: 'LAPSED', reason: 'TICKET_ADMITTED' }) });
    await handle.executeUpdate(offerUpdate);
    expect(await handle.executeUpdate(acceptUpdate, { args: [{ userId: 43 }] })).toMatchObject({ status: 'LAPSED', reason: 'TICKET_ADMITTED' });
    expect((await finish()).reason).toBe('TICKET_ADMITTED');
  });

  it('a refused offer (the ticket was scanned): the offer answers the refusal and the workflow ends REFUSED with no other step', async () => {
    const { transferId, handle, finish } = await start({ open: () => ({ ok: false, code: 'TICKET_ADMITTED' }) }, 'transfer-refused');
    expect(await handle.executeUpdate(offerUpdate)).toEqual({ ok: false, code: 'TICKET_ADMITTED' });
    expect(await finish()).toEqual({ transferId, status: 'REFUSED', reason: 'TICKET_ADMITTED' });
    expect(calls.get(transferId)).toEqual(['openTransfer']);
  });

  it('validators: refused while the offer is not recorded (TRANSFER_NOT_OPEN) and once a decision was taken (TRANSFER_CLOSED), without a trace', async () => {
    const opening = gate<OfferResult>({ ok: false, code: 'NOT_FOUND' });
    const moving = gate<TransferOutcome>({ transferId: '', status: 'LAPSED', reason: 'NOT_FOUND' });
    const { transferId, handle, finish } = await start({ open: () => opening.closed, move: () => moving.closed });
    // The offer's activity is still running (its history settled: the activity scheduled): nothing to answer yet.
    await waitForCall(transferId, 'openTransfer');
    await expectRefused(handle, (updateId) => handle.executeUpdate(acceptUpdate, { args: [{ userId: 43 }], updateId }), 'TRANSFER_NOT_OPEN');
    opening.open({ ok: true, transferId, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await handle.executeUpdate(offerUpdate);
    // The first accept is taken; while its move runs, every other answer is refused.
    const accepted = handle.executeUpdate(acceptUpdate, { args: [{ userId: 43 }] });
    await waitForCall(transferId, 'move:43');
    await expectRefused(handle, (updateId) => handle.executeUpdate(acceptUpdate, { args: [{ userId: 44 }], updateId }), 'TRANSFER_CLOSED');
    await expectRefused(handle, (updateId) => handle.executeUpdate(declineUpdate, { updateId }), 'TRANSFER_CLOSED');
    await expectRefused(handle, (updateId) => handle.executeUpdate(withdrawUpdate, { updateId }), 'TRANSFER_CLOSED');
    moving.open({ transferId, status: 'ACCEPTED', reason: null });
    expect((await accepted).status).toBe('ACCEPTED');
    expect((await finish()).status).toBe('ACCEPTED');
    expect(calls.get(transferId)).toEqual(['openTransfer', 'move:43']);
  });
});

async function waitForCall(transferId: string, what: string) {
  for (let i = 0; i < 600 && !calls.get(transferId)?.includes(what); i++) await new Promise((r) => setTimeout(r, 50));
  expect(calls.get(transferId)).toContain(what);
}
