import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes (registered on the dev server at start: scripts/stack.sh) that let
 * operators filter reservations in the Temporal Web UI, e.g. `ReservationStatus = "HELD"`.
 */
export const reservationStatusKey = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const userIdKey = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
export const scheduleIdKey = defineSearchAttributeKey('ScheduleId', SearchAttributeType.KEYWORD);
export const concertIdKey = defineSearchAttributeKey('ConcertId', SearchAttributeType.KEYWORD);
