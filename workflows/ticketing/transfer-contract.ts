/**
 * The ticket-transfer workflow's contract (docs/tickets.md "Transfer"): its type name, id, input,
 * outcome, updates and query. Read by the workflow (sandbox), ticketing's client
 * (src/ticketing/transfer-workflows.ts) and the activities; it imports only Temporal's definitions.
 * Names and ids are wire format (test/replay).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const TRANSFER_WORKFLOW_TYPE = 'ticketTransferWorkflow';
/** One workflow per transfer; the transfer id comes from the holder and their Idempotency-Key. */
export const transferWorkflowId = (transferId: string) => `ticket-transfer-${transferId}`;
/** 24 hex characters (routes answer 404 for anything else). */
export const TRANSFER_ID_PATTERN = /^[a-f0-9]{24}$/;

/** PENDING until the recipient accepts or declines, the holder withdraws, or the deadline passes (LAPSED). */
export const transferStatuses = ['PENDING', 'ACCEPTED', 'DECLINED', 'LAPSED', 'WITHDRAWN'] as const;
export type TransferStatus = (typeof transferStatuses)[number];

/**
 * Why a transfer could not be offered, or why an accepted one could not move the ticket (then it
 * closes LAPSED with this reason). Each is also the API's problem code.
 */
export type TransferRefusal =
  | 'NOT_FOUND'
  | 'TICKET_ADMITTED'
  | 'TICKET_REFUNDED'
  | 'TICKET_CANCELLED'
  | 'TICKET_LIMIT'
  | 'TRANSFER_PENDING'
  | 'TRANSFER_WINDOW_CLOSED'
  | 'TRANSFER_TO_SELF';

export interface TransferInput {
  transferId: string;
  ticketId: number;
  /** The holder making the offer (checked again under the ticket's lock). */
  fromUserId: number;
  /** The recipient's email, sealed by identity's cipher (never in clear in a history). */
  recipientSealed: string;
  /** Its blind index (identity's HMAC): how a recipient without an account yet is recognised later. */
  recipientIndex: string;
  /** The recipient's account when one exists at the offer. */
  recipientUserId: number | null;
}

export type OfferResult = { ok: true; transferId: string; expiresAt: string } | { ok: false; code: TransferRefusal };

/** How a transfer ended (the accept update answers with it too). */
export interface TransferOutcome {
  transferId: string;
  status: Exclude<TransferStatus, 'PENDING'> | 'REFUSED';
  /** LAPSED: `DEADLINE`, or the refusal the move met (the ticket was refunded, scanned, ...). REFUSED: the offer's refusal. */
  reason: string | null;
}

export interface TransferState {
  transferId: string;
  status: TransferStatus | 'OPENING' | 'REFUSED';
  expiresAt: string | null;
}

/** Update-with-Start target: answers once the offer is recorded (or refused). */
export const offerUpdate = defineUpdate<OfferResult>('offer');
/** The recipient (the API checked who): the workflow moves the ticket and answers with the outcome. */
export const acceptUpdate = defineUpdate<TransferOutcome, [{ userId: number }]>('accept');
export const declineUpdate = defineUpdate<TransferOutcome>('decline');
/** The holder takes a pending offer back. */
export const withdrawUpdate = defineUpdate<TransferOutcome>('withdraw');
export const transferStateQuery = defineQuery<TransferState>('state');

/** The refusals of an accept, decline or withdraw (validators: no trace in the history). */
export type TransferUpdateRefusal = 'TRANSFER_NOT_OPEN' | 'TRANSFER_CLOSED';

/** The activities' inputs. */
export interface MoveInput {
  transferId: string;
  toUserId: number;
}
export interface CloseInput {
  transferId: string;
  status: 'DECLINED' | 'LAPSED' | 'WITHDRAWN';
  reason: string | null;
}
