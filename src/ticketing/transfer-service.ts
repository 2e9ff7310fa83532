import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { TransferOutcome, TransferRefusal } from '../../workflows/ticketing/transfer-contract.js';
import type { Db } from '../platform/db/client.js';
import { DomainError, notFound, type ErrorCode } from '../shared/errors.js';
import { tickets } from './schema.js';
import type { RecipientDirectory } from './transfer-contracts.js';
import type { TransferRepository } from './transfer-repository.js';
import type { TransferRow } from './transfer-schema.js';
import { TransferUpdateRefused, type TransferWorkflowPort } from './transfer-workflows.js';

export interface TransferView {
  id: string;
  ticketId: number;
  reservationId: string;
  scheduleId: number;
  fromUserId: number;
  toUserId: number | null;
  status: TransferRow['status'];
  reason: string | null;
  expiresAt: string;
  createdAt: string;
  closedAt: string | null;
  /** The address the holder offered the ticket to: shown to the holder only. */
  recipientEmail?: string;
}

/** A transfer id from the holder and their Idempotency-Key: a repeated offer maps to the same workflow. */
export function transferIdFor(userId: number, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return randomBytes(12).toString('hex');
  return createHash('sha256').update(`transfer:${userId}:${idempotencyKey}`).digest('hex').slice(0, 24);
}

const refusalMessages: Record<TransferRefusal, string> = {
  NOT_FOUND: 'No such ticket of yours',
  TICKET_ADMITTED: 'This ticket was already used at the door and cannot move',
  TICKET_REFUNDED: 'This ticket was refunded and cannot move',
  TICKET_CANCELLED: 'This ticket was cancelled (the performance or the purchase) and cannot move',
  TICKET_LIMIT: 'The recipient would hold more tickets for this performance than one buyer may',
  TRANSFER_PENDING: 'This ticket already has an open transfer offer; withdraw it first',
  TRANSFER_WINDOW_CLOSED: 'Transfers for this performance are closed',
  TRANSFER_TO_SELF: 'You cannot transfer a ticket to yourself',
};

const refused = (code: TransferRefusal | string, details?: Record<string, unknown>) =>
  code in refusalMessages ? new DomainError(code as ErrorCode, refusalMessages[code as TransferRefusal], details) : new DomainError('TRANSFER_CLOSED', 'This transfer offer is no longer open', details);

/**
 * The API's side of transfers (docs/tickets.md "Transfer"): who may do what (the holder offers and
 * withdraws; the account with the offered email accepts or declines), then the transfer's workflow
 * decides, in order, what happens.
 */
export class TransferService {
  constructor(
    private readonly db: Db,
    private readonly transfers: TransferRepository,
    private readonly workflows: TransferWorkflowPort,
    private readonly directory: RecipientDirectory,
  ) {}

  async offer(userId: number, ticketId: number, email: string, idempotencyKey: string | undefined): Promise<TransferView> {
    // Cheap refusals first, without a workflow: not your ticket (404, as for anyone else's), to yourself.
    const [ticket] = await this.db.select({ userId: tickets.userId }).from(tickets).where(eq(tickets.id, ticketId)).limit(1);
    if (!ticket || ticket.userId !== userId) throw notFound('Ticket');
    const recipientUserId = (await this.directory.accountIdByEmail(email)) ?? null;
    if (recipientUserId === userId) throw refused('TRANSFER_TO_SELF');
    const transferId = transferIdFor(userId, idempotencyKey);
    const opened = await this.workflows.offer({
      transferId,
      ticketId,
      fromUserId: userId,
      recipientSealed: this.directory.seal(email.trim()),
      recipientIndex: this.directory.emailIndex(email),
      recipientUserId,
    });
    if (opened && !opened.ok) throw refused(opened.code);
    const row = await this.transfers.find(transferId);
    if (!row) throw refused('TRANSFER_CLOSED');
    return this.view(row, true);
  }

  async accept(userId: number, transferId: string, updateId: string): Promise<TransferView> {
    await this.asRecipient(userId, transferId);
    return this.settled(transferId, () => this.workflows.accept(transferId, userId, updateId));
  }

  async decline(userId: number, transferId: string, updateId: string): Promise<TransferView> {
    await this.asRecipient(userId, transferId);
    return this.settled(transferId, () => this.workflows.decline(transferId, updateId));
  }

  async withdraw(userId: number, transferId: string, updateId: string): Promise<TransferView> {
    const row = await this.transfers.find(transferId);
    if (!row || row.fromUserId !== userId) throw notFound('Transfer');
    return this.settled(transferId, () => this.workflows.withdraw(transferId, updateId), true);
  }

  async incoming(userId: number): Promise<TransferView[]> {
    const rows = await this.transfers.incoming(userId, await this.directory.emailIndexesOf(userId));
    return rows.map((r) => this.view(r, false));
  }

  async outgoing(userId: number): Promise<TransferView[]> {
    return (await this.transfers.outgoing(userId)).map((r) => this.view(r, true));
  }

  /**
   * Ticketing's port for notifications (engineer "mail"): where to write to about a transfer. The
   * address never travels in an event; a mailer reads it here by the event's transferId.
   */
  async transferRecipientContact(transferId: string): Promise<{ email: string; userId: number | null } | undefined> {
    return transferRecipientContact(this.transfers, this.directory.open, transferId);
  }

  /** The account the offer was made to: by id, or (made before it signed up) by its email's blind index. Anyone else: 404. */
  private async asRecipient(userId: number, transferId: string): Promise<TransferRow> {
    const row = await this.transfers.find(transferId);
    if (row && (row.toUserId === userId || (row.toUserId === null && (await this.directory.emailIndexesOf(userId)).includes(row.recipientEmailIndex)))) return row;
    throw notFound('Transfer');
  }

  /** Sends the decision to the workflow; a refusal of the move (or of the update) becomes its problem code. */
  private async settled(transferId: string, send: () => Promise<TransferOutcome>, asHolder = false): Promise<TransferView> {
    let outcome: TransferOutcome;
    try {
      outcome = await send();
    } catch (err) {
      if (err instanceof TransferUpdateRefused) throw refused('TRANSFER_CLOSED', { transferId });
      throw err;
    }
    if (outcome.status === 'LAPSED' && outcome.reason && outcome.reason !== 'DEADLINE') throw refused(outcome.reason, { transferId });
    const row = await this.transfers.find(transferId);
    return this.view(row!, asHolder);
  }

  private view(r: TransferRow, asHolder: boolean): TransferView {
    return {
      id: r.id,
      ticketId: r.ticketId,
      reservationId: r.reservationId,
      scheduleId: r.scheduleId,
      fromUserId: r.fromUserId,
      toUserId: r.toUserId,
      status: r.status,
      reason: r.reason,
      expiresAt: r.expiresAt.toISOString(),
      createdAt: r.createdAt.toISOString(),
      closedAt: r.closedAt?.toISOString() ?? null,
      ...(asHolder ? { recipientEmail: this.directory.open(r.recipientEmailCipher) } : {}),
    };
  }
}

/** Where a transfer was offered: the sealed address opened (identity's cipher), and the account if known. */
export async function transferRecipientContact(transfers: Pick<TransferRepository, 'find'>, open: (sealed: string) => string, transferId: string): Promise<{ email: string; userId: number | null } | undefined> {
  const row = await transfers.find(transferId);
  return row && { email: open(row.recipientEmailCipher), userId: row.toUserId };
}
