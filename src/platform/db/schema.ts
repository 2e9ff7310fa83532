import {
  bigint,
  char,
  customType,
  datetime,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

/**
 * The MySQL truth. Money is integer KRW (bigint for sums). Times are UTC datetime(3).
 * MariaDB returns JSON columns as strings, so JSON lives in a text column parsed by this type.
 */
const jsonText = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'longtext',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
});

const ts = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const createdAt = () => ts('created_at').notNull().$defaultFn(() => new Date());
const id = (name = 'id') => bigint(name, { mode: 'number', unsigned: true });
const money = (name: string) => bigint(name, { mode: 'number' });

// ---- identity --------------------------------------------------------------------------------
export const users = mysqlTable('users', {
  id: id().autoincrement().primaryKey(),
  // Personal data is encrypted at rest; the blind index (HMAC of the normalised email) finds a user.
  emailCipher: varchar('email_cipher', { length: 512 }).notNull(),
  emailIndex: char('email_index', { length: 64 }).notNull().unique(),
  phoneCipher: varchar('phone_cipher', { length: 512 }),
  name: varchar('name', { length: 100 }).notNull(),
  passwordHash: varchar('password_hash', { length: 255 }).notNull(),
  role: mysqlEnum('role', ['USER', 'ADMIN']).notNull().default('USER'),
  status: mysqlEnum('status', ['ACTIVE', 'DISABLED']).notNull().default('ACTIVE'),
  failedLogins: int('failed_logins').notNull().default(0),
  lockedUntil: ts('locked_until'),
  tokenVersion: int('token_version').notNull().default(0),
  createdAt: createdAt(),
});

// ---- catalog ---------------------------------------------------------------------------------
export const concerts = mysqlTable(
  'concerts',
  {
    id: id().autoincrement().primaryKey(),
    title: varchar('title', { length: 200 }).notNull(),
    artist: varchar('artist', { length: 200 }).notNull(),
    description: text('description').notNull(),
    venue: varchar('venue', { length: 200 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('concerts_title_idx').on(t.title)],
);

export const schedules = mysqlTable(
  'schedules',
  {
    id: id().autoincrement().primaryKey(),
    concertId: id('concert_id').notNull(),
    startsAt: ts('starts_at').notNull(),
    saleOpensAt: ts('sale_opens_at').notNull(),
    saleClosesAt: ts('sale_closes_at').notNull(),
    status: mysqlEnum('status', ['SCHEDULED', 'CANCELLED']).notNull().default('SCHEDULED'),
    maxSeatsPerReservation: smallint('max_seats_per_reservation').notNull().default(4),
    // Seats one user may hold or own on this schedule, over all their reservations (anti-hoarding).
    maxTicketsPerUser: smallint('max_tickets_per_user').notNull().default(4),
    // Waiting-room settings; null means "use the configured default".
    queueMaxActive: int('queue_max_active'),
    queueAdmitRate: int('queue_admit_rate'),
    // Admission mode (null = QUEUE_ADMISSION_MODE) and the auto controller's bounds (null = defaults).
    queueMode: mysqlEnum('queue_mode', ['auto', 'manual']),
    queueMinAdmitRate: int('queue_min_admit_rate'),
    queueMaxAdmitRate: int('queue_max_admit_rate'),
    queueTargetP99Ms: int('queue_target_p99_ms'),
    createdAt: createdAt(),
  },
  (t) => [index('schedules_concert_idx').on(t.concertId, t.startsAt), index('schedules_starts_idx').on(t.startsAt)],
);

export const seats = mysqlTable(
  'seats',
  {
    id: id().autoincrement().primaryKey(),
    scheduleId: id('schedule_id').notNull(),
    section: varchar('section', { length: 20 }).notNull(),
    row: varchar('row_label', { length: 10 }).notNull(),
    number: smallint('seat_number').notNull(),
    tier: varchar('tier', { length: 20 }).notNull(),
    price: int('price').notNull(),
    status: mysqlEnum('status', ['AVAILABLE', 'HELD', 'SOLD']).notNull().default('AVAILABLE'),
    reservationId: varchar('reservation_id', { length: 32 }),
    heldUntil: ts('held_until'),
    // Optimistic lock: every change bumps it; a hold succeeds only against the version it read.
    version: int('version').notNull().default(0),
  },
  (t) => [
    uniqueIndex('seats_position_uq').on(t.scheduleId, t.section, t.row, t.number),
    index('seats_schedule_status_idx').on(t.scheduleId, t.status),
    index('seats_reservation_idx').on(t.reservationId),
  ],
);

// ---- booking ---------------------------------------------------------------------------------
export const reservationStatuses = ['HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'FAILED', 'REFUNDED'] as const;

export const reservations = mysqlTable(
  'reservations',
  {
    id: varchar('id', { length: 32 }).primaryKey(),
    userId: id('user_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
    concertId: id('concert_id').notNull(),
    status: mysqlEnum('status', reservationStatuses).notNull(),
    amount: money('amount').notNull(),
    expiresAt: ts('expires_at').notNull(),
    confirmedAt: ts('confirmed_at'),
    closedAt: ts('closed_at'),
    reason: varchar('reason', { length: 200 }),
    version: int('version').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('reservations_user_idx').on(t.userId, t.createdAt),
    index('reservations_status_expiry_idx').on(t.status, t.expiresAt),
    index('reservations_schedule_idx').on(t.scheduleId, t.status),
  ],
);

export const reservationSeats = mysqlTable(
  'reservation_seats',
  {
    reservationId: varchar('reservation_id', { length: 32 }).notNull(),
    seatId: id('seat_id').notNull(),
    price: int('price').notNull(),
    // Set while the reservation holds or owns the seat, NULL once released: a UNIQUE index over it
    // is the last guard against one seat in two live reservations (NULLs do not collide).
    activeSeatId: id('active_seat_id'),
  },
  (t) => [primaryKey({ columns: [t.reservationId, t.seatId] }), uniqueIndex('reservation_seats_active_uq').on(t.activeSeatId)],
);

/**
 * One row per (user, schedule) that ever held a seat: the hold transaction locks it first, so one
 * user's concurrent holds on one schedule take turns counting their seats against the ticket limit
 * (different users never wait on each other). The row carries no data; it is only the lock.
 */
export const ticketLimitLocks = mysqlTable(
  'ticket_limit_locks',
  {
    userId: id('user_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scheduleId] })],
);

// ---- payment ---------------------------------------------------------------------------------
export const wallets = mysqlTable('wallets', {
  userId: id('user_id').primaryKey(),
  balance: money('balance').notNull().default(0),
  updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
});

export const walletLedger = mysqlTable(
  'wallet_ledger',
  {
    id: id().autoincrement().primaryKey(),
    userId: id('user_id').notNull(),
    kind: mysqlEnum('kind', ['CHARGE', 'PAYMENT', 'REFUND']).notNull(),
    amount: money('amount').notNull(), // signed: charges and refunds positive, payments negative
    balanceAfter: money('balance_after').notNull(),
    // What caused the movement (charge idempotency key, reservation id); unique per kind, so a
    // retried debit or refund cannot move money twice.
    reference: varchar('reference', { length: 100 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('wallet_ledger_reference_uq').on(t.userId, t.kind, t.reference)],
);

export const payments = mysqlTable(
  'payments',
  {
    id: id().autoincrement().primaryKey(),
    reservationId: varchar('reservation_id', { length: 32 }).notNull().unique(),
    userId: id('user_id').notNull(),
    amount: money('amount').notNull(),
    status: mysqlEnum('status', ['SUCCEEDED', 'REFUNDED']).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('payments_user_idx').on(t.userId)],
);

export const refunds = mysqlTable('refunds', {
  id: id().autoincrement().primaryKey(),
  paymentId: id('payment_id').notNull().unique(),
  reservationId: varchar('reservation_id', { length: 32 }).notNull(),
  amount: money('amount').notNull(),
  reason: varchar('reason', { length: 200 }).notNull(),
  createdAt: createdAt(),
});

// ---- events ----------------------------------------------------------------------------------
/** Transactional outbox and append-only event log in one table. */
export const domainEvents = mysqlTable(
  'domain_events',
  {
    position: id('position').autoincrement().primaryKey(),
    id: char('id', { length: 36 }).notNull().unique(),
    type: varchar('type', { length: 64 }).notNull(),
    schemaVersion: smallint('schema_version').notNull(),
    aggregateType: varchar('aggregate_type', { length: 32 }).notNull(),
    aggregateId: varchar('aggregate_id', { length: 64 }).notNull(),
    sequence: int('sequence').notNull(),
    userId: id('user_id'),
    payload: jsonText('payload').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    publishedAt: ts('published_at'),
  },
  (t) => [
    uniqueIndex('domain_events_aggregate_seq_uq').on(t.aggregateType, t.aggregateId, t.sequence),
    index('domain_events_unpublished_idx').on(t.publishedAt, t.position),
  ],
);

export const processedEvents = mysqlTable(
  'processed_events',
  {
    consumer: varchar('consumer', { length: 64 }).notNull(),
    eventId: char('event_id', { length: 36 }).notNull(),
    processedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/** Read model: sales per schedule, maintained by a Kafka consumer. */
export const scheduleSales = mysqlTable('schedule_sales', {
  scheduleId: id('schedule_id').primaryKey(),
  reservationsStarted: int('reservations_started').notNull().default(0),
  reservationsConfirmed: int('reservations_confirmed').notNull().default(0),
  seatsHeld: int('seats_held').notNull().default(0),
  seatsSold: int('seats_sold').notNull().default(0),
  revenue: money('revenue').notNull().default(0),
  updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
});

/** Stored answers for Idempotency-Key requests: same key and body -> same response. */
export const idempotencyKeys = mysqlTable(
  'idempotency_keys',
  {
    userId: id('user_id').notNull(),
    scope: varchar('scope', { length: 40 }).notNull(),
    key: varchar('idem_key', { length: 100 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    statusCode: smallint('status_code'),
    responseBody: jsonText('response_body'),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] }), index('idempotency_keys_expiry_idx').on(t.expiresAt)],
);
