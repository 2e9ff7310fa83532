import { z } from 'zod';
import { heldSeatSchema } from './held-seat.js';

/**
 * The payload schemas of event versions that are no longer written, each with the upcaster that
 * turns a payload of that version into the next one. Events are never rewritten in the log, so a
 * consumer reading an old event (a replay, a rebuild, an old Kafka message) gets it through this
 * chain: v1 -> v2 -> ... -> current (catalog.ts parseEnvelope). Only pure functions of the payload:
 * an upcaster cannot look anything up, so a breaking change must be expressible from the old event.
 */
export interface PastVersion {
  schemaVersion: number;
  payload: z.ZodType;
  /** Turns a payload of `schemaVersion` into one of `schemaVersion + 1`. */
  upcast(payload: never): unknown;
}

const reservationRef = { reservationId: z.string(), userId: z.number().int(), scheduleId: z.number().int() };

const reservationHeldV1 = z.object({
  ...reservationRef,
  concertId: z.number().int(),
  // v1: a seat's tier could be missing (holds recorded before tiers were carried).
  seats: z.array(heldSeatSchema),
  amount: z.number().int(),
  expiresAt: z.string(),
});

export const pastVersions: Readonly<Record<string, readonly PastVersion[]>> = {
  ReservationHeld: [
    {
      schemaVersion: 1,
      payload: reservationHeldV1,
      // v2 states every seat's tier; v1's missing one becomes an explicit null ("not recorded").
      upcast: (p: z.infer<typeof reservationHeldV1>) => ({ ...p, seats: p.seats.map((s) => ({ ...s, tier: s.tier ?? null })) }),
    },
  ],
};

/** Brings a payload stored at `fromVersion` up to the current version (unchanged when it is current). */
export function upcastPayload(type: string, fromVersion: number, payload: unknown): unknown {
  let p = payload;
  for (const past of [...(pastVersions[type] ?? [])].sort((a, b) => a.schemaVersion - b.schemaVersion)) {
    if (past.schemaVersion < fromVersion) continue;
    p = past.upcast(past.payload.parse(p) as never);
  }
  return p;
}
