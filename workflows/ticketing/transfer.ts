import { allHandlersFinished, ApplicationFailure, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TransferActivities } from '../../activities/index.js';
import {
  acceptUpdate,
  declineUpdate,
  offerUpdate,
  transferStateQuery,
  withdrawUpdate,
  type OfferResult,
  type TransferInput,
  type TransferOutcome,
  type TransferState,
  type TransferUpdateRefusal,
} from './transfer-contract.js';

const { openTransfer, moveTransferredTicket, closeTransfer } = proxyActivities<TransferActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

type Decision = { kind: 'ACCEPT'; userId: number } | { kind: 'DECLINE' } | { kind: 'WITHDRAW' };

/**
 * One transfer of one ticket (docs/tickets.md "Transfer"): record the offer, wait for the
 * recipient's accept or decline, or the holder's withdrawal, until the offer's deadline; then move
 * the ticket (one locked transaction that re-checks everything and reissues its serial, so every old
 * code dies at once) or close the offer. The first decision wins: later updates are refused by their
 * validator and leave no trace. Every step is an idempotent activity keyed by the transfer id.
 */
export async function ticketTransferWorkflow(input: TransferInput): Promise<TransferOutcome> {
  let opened: OfferResult | undefined;
  let decision: Decision | undefined;
  let outcome: TransferOutcome | undefined;

  const expiresAtMs = () => (opened?.ok ? Date.parse(opened.expiresAt) : 0);
  /** The validator shared by accept, decline and withdraw: only a recorded, undecided offer before its deadline. */
  const rejectUnlessOpen = () => {
    if (opened === undefined) throw refusal('TRANSFER_NOT_OPEN', 'the offer is not recorded yet');
    if (!opened.ok || decision !== undefined || outcome !== undefined) throw refusal('TRANSFER_CLOSED', 'the offer was already answered or closed');
    if (Date.now() >= expiresAtMs()) throw refusal('TRANSFER_CLOSED', 'the offer lapsed');
  };
  const decide = async (d: Decision): Promise<TransferOutcome> => {
    decision = d;
    await condition(() => outcome !== undefined);
    return outcome!;
  };

  setHandler(offerUpdate, async () => {
    await condition(() => opened !== undefined);
    return opened!;
  });
  setHandler(acceptUpdate, ({ userId }) => decide({ kind: 'ACCEPT', userId }), { validator: (_accept: { userId: number }) => rejectUnlessOpen() });
  setHandler(declineUpdate, () => decide({ kind: 'DECLINE' }), { validator: rejectUnlessOpen });
  setHandler(withdrawUpdate, () => decide({ kind: 'WITHDRAW' }), { validator: rejectUnlessOpen });
  setHandler(transferStateQuery, (): TransferState => ({
    transferId: input.transferId,
    status: outcome ? outcome.status : opened === undefined ? 'OPENING' : opened.ok ? 'PENDING' : 'REFUSED',
    expiresAt: opened?.ok ? opened.expiresAt : null,
  }));

  opened = await openTransfer(input);
  if (!opened.ok) {
    outcome = { transferId: input.transferId, status: 'REFUSED', reason: opened.code };
  } else {
    // The deadline (capped by the performance's transfer close) as the workflow's own timer.
    const decided = await condition(() => decision !== undefined, Math.max(expiresAtMs() - Date.now(), 1));
    const d = decided ? decision! : undefined;
    if (d?.kind === 'ACCEPT') outcome = await moveTransferredTicket({ transferId: input.transferId, toUserId: d.userId });
    else if (d) outcome = await closeTransfer({ transferId: input.transferId, status: d.kind === 'DECLINE' ? 'DECLINED' : 'WITHDRAWN', reason: null });
    else outcome = await closeTransfer({ transferId: input.transferId, status: 'LAPSED', reason: 'DEADLINE' });
  }
  await condition(allHandlersFinished);
  return outcome;
}

const refusal = (type: TransferUpdateRefusal, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
