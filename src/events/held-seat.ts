import { z } from 'zod';
import type { HeldSeat as ContractHeldSeat } from '../../workflows/booking/reservation-contract.js';

/**
 * A seat as a reservation holds it: its position and the price it was held at. The one spelling of
 * this shape: the hold result (contracts.ts), the API's reservation (representation.ts) and the
 * reservation events (events/catalog.ts) all carry it.
 */
export const heldSeatSchema = z.object({
  seatId: z.number().int(),
  section: z.string(),
  row: z.string(),
  number: z.number().int(),
  // Optional: holds recorded before the tier was carried (workflow histories, old events) lack it.
  tier: z.string().optional(),
  price: z.number().int(),
});
export type HeldSeat = z.infer<typeof heldSeatSchema>;
// The workflow contract spells the same shape without zod (the sandbox loads it): tsc keeps the two equal.
const sameShape: [HeldSeat, ContractHeldSeat] extends [ContractHeldSeat, HeldSeat] ? true : never = true;
void sameShape;
