import type { NewConcert } from '../catalog/repository.js';
import type { CatalogRepository } from '../catalog/repository.js';
import type { IdentityService } from '../identity/service.js';
import type { WalletRepository } from '../payment/wallet-repository.js';
import { DomainError } from '../shared/errors.js';

export const DEMO_PASSWORD = 'demo-password-1';
export const DEMO_ADMIN = { email: 'admin@example.com', password: 'admin-password-1', name: 'Demo Admin' };
/** Door staff: scans tickets (POST /api/v1/entry/scans). */
export const DEMO_STAFF = { email: 'staff@example.com', password: 'staff-password-1', name: 'Demo Door Staff' };
export const demoUsers = Array.from({ length: 5 }, (_, i) => ({ email: `user${i + 1}@example.com`, password: DEMO_PASSWORD, name: `Demo User ${i + 1}` }));

const day = 86_400_000;

/** Demo concerts: on sale now, performances in the coming weeks, a few hundred seats each. */
export function demoConcerts(now = new Date()): NewConcert[] {
  const at = (days: number, hour = 19) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days, hour - 9));
  const sections = [
    { name: 'VIP', tier: 'VIP', price: 220_000, rows: 2, seatsPerRow: 20 },
    { name: 'R', tier: 'R', price: 165_000, rows: 5, seatsPerRow: 30 },
    { name: 'S', tier: 'S', price: 132_000, rows: 6, seatsPerRow: 30 },
  ];
  const open = new Date(now.getTime() - day);
  return [
    { title: 'Aurora World Tour - Seoul', artist: 'Aurora', description: 'Arena show with a full band.', venue: 'KSPO Dome', sections },
    { title: 'Blue Hour Live', artist: 'Blue Hour', description: 'Acoustic evening.', venue: 'Blue Square', sections: sections.slice(1) },
    { title: 'Neon Nights Festival', artist: 'Various Artists', description: 'Three stages, one night.', venue: 'Olympic Park', sections },
  ].map((c, i) => ({
    ...c,
    schedules: [14, 15].map((d) => ({ startsAt: at(d + i * 7), saleOpensAt: open, saleClosesAt: at(d + i * 7, 17) })),
  }));
}

/** Loads demo data once: an admin, door staff, demo users with funded wallets, demo concerts. Safe to rerun. */
export async function seedDemoData(deps: { identity: IdentityService; catalog: CatalogRepository; wallets: WalletRepository }, log: (m: string) => void) {
  const ensureUser = async (u: { email: string; password: string; name: string }, role: 'USER' | 'ADMIN' | 'STAFF') => {
    try {
      const { id } = await deps.identity.signup(u, role);
      return { id, created: true };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'EMAIL_TAKEN') return { id: 0, created: false };
      throw err;
    }
  };
  await ensureUser(DEMO_ADMIN, 'ADMIN');
  await ensureUser(DEMO_STAFF, 'STAFF');
  for (const u of demoUsers) {
    const { id, created } = await ensureUser(u, 'USER');
    if (created) await deps.wallets.charge(id, 1_000_000, 'charge:demo-seed');
  }
  const { total } = await deps.catalog.listConcerts({ page: 1, pageSize: 1 });
  if (total > 0) {
    log(`catalog already has ${total} concerts; not adding demo concerts`);
    return;
  }
  for (const concert of demoConcerts()) {
    const created = await deps.catalog.createConcert(concert, null);
    log(`concert ${created.concertId} "${concert.title}": schedules ${created.scheduleIds.join(', ')}, ${created.seatCount} seats`);
  }
}
