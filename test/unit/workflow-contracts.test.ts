import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFUND_WORKFLOW_TYPE } from '../../workflows/booking/refund-contract.js';
import { RESERVATION_WORKFLOW_TYPE, reservationStatuses } from '../../workflows/booking/reservation-contract.js';
import { SWEEPER_WORKFLOW_TYPE } from '../../workflows/booking/sweeper-contract.js';
import { SCHEDULE_CANCELLATION_WORKFLOW_TYPE } from '../../workflows/catalog/schedule-cancellation-contract.js';
import { LATE_PAYMENT_WORKFLOW_TYPE } from '../../workflows/payment/late-payment-contract.js';
import { RECONCILIATION_WORKFLOW_TYPE } from '../../workflows/payment/reconciliation-contract.js';
import { TRANSFER_WORKFLOW_TYPE } from '../../workflows/ticketing/transfer-contract.js';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE } from '../../workflows/webhooks/delivery-contract.js';
import { reservationStatuses as domainStatuses } from '../../src/booking/domain.js';
import { searchAttributeFlags } from '../support/search-attributes.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('workflow contracts', () => {
  it("name every workflow the worker bundle exports (clients start them by the contract's type name)", () => {
    // Read as text: importing the workflow modules outside the sandbox is not what the worker does.
    const exported = [...read('workflows/index.ts').matchAll(/export \{ (\w+) \}/g)].map((m) => m[1]).sort();
    const named = [RESERVATION_WORKFLOW_TYPE, REFUND_WORKFLOW_TYPE, SWEEPER_WORKFLOW_TYPE, SCHEDULE_CANCELLATION_WORKFLOW_TYPE, LATE_PAYMENT_WORKFLOW_TYPE, RECONCILIATION_WORKFLOW_TYPE, TRANSFER_WORKFLOW_TYPE, WEBHOOK_DELIVERY_WORKFLOW_TYPE];
    expect(exported).toEqual([...named].sort());
  });

  it('are the search attributes scripts/stack.sh and docker-compose.yml register', () => {
    expect(searchAttributeFlags.sort()).toEqual(['CancellationPhase=Keyword', 'CancellationProcessed=Int', 'ConcertId=Keyword', 'ReservationStatus=Keyword', 'ScheduleId=Keyword', 'UserId=Keyword']);
    const stack = /^SEARCH_ATTRIBUTES=\(([^)]*)\)/m.exec(read('scripts/stack.sh'))![1]!.split(/\s+/).filter(Boolean);
    expect(stack.sort()).toEqual(searchAttributeFlags.sort());
    const composeLoop = /for a in ([^;]*); do/.exec(read('docker-compose.yml'))![1]!.split(/\s+/).filter(Boolean);
    expect(composeLoop.sort()).toEqual(searchAttributeFlags.sort());
  });

  it("hold the one reservation status list booking's domain reads", () => {
    expect(domainStatuses).toBe(reservationStatuses);
  });
});
