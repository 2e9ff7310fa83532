/**
 * Offline evaluation of the recommendations (docs/recommendations.md): `npm run recs:eval [-- --buyers 3000 --seed 7]`
 *
 * Generates demo purchase data (concerts in genres; each buyer leans to one genre and also buys some
 * popular concerts), holds out each buyer's LAST purchase, builds the co-purchase counts from
 * everything else with the same code the read model folds (src/recommendations/co-purchase.ts), and
 * reports hit rate at 5 (the held-out concert among the 5 recommended) for co-purchase filtering
 * against the popularity baseline (the 5 most-held concerts the buyer does not hold). No database:
 * the model is pure; the SQL read model holds the same counts.
 */
import { parseArgs } from 'node:util';
import { CoPurchaseCounts, rank } from '../src/recommendations/co-purchase.js';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '3000' },
    concerts: { type: 'string', default: '60' },
    genres: { type: 'string', default: '6' },
    seed: { type: 'string', default: '7' },
    k: { type: 'string', default: '5' },
  },
});
const BUYERS = Number(args.buyers);
const CONCERTS = Number(args.concerts);
const GENRES = Number(args.genres);
const K = Number(args.k);

/** mulberry32: a small seeded generator, so a run can be repeated exactly. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(Number(args.seed));

/** Picks an index with probability proportional to its weight. */
const pick = (weights: readonly number[]) => {
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]!) <= 0) return i;
  return weights.length - 1;
};

// Concert c belongs to genre c % GENRES; popularity falls off with rank (Zipf, s = 1).
const concertIds = Array.from({ length: CONCERTS }, (_, i) => i + 1);
const genreOf = (c: number) => c % GENRES;
const zipf = concertIds.map((_, i) => 1 / (i + 1));
const genreWeights = Array.from({ length: GENRES }, (_, g) => 1 / (g + 1));

/** One buyer's purchases in time order: 2 to 6 distinct concerts, 75 % from their genre, the rest by overall popularity. */
function purchasesOf(): number[] {
  const genre = pick(genreWeights);
  const n = 2 + Math.floor(random() * 5);
  const bought: number[] = [];
  for (let tries = 0; bought.length < n && tries < 100; tries++) {
    const inGenre = random() < 0.75;
    const weights = concertIds.map((c, i) => (inGenre ? (genreOf(c) === genre ? zipf[i]! : 0) : zipf[i]!));
    const c = concertIds[pick(weights)]!;
    if (!bought.includes(c)) bought.push(c);
  }
  return bought;
}

const buyers = Array.from({ length: BUYERS }, (_, u) => ({ userId: u + 1, purchases: purchasesOf() }));
const counts = new CoPurchaseCounts();
const heldOut = new Map<number, number>();
for (const b of buyers) {
  const train = b.purchases.slice(0, -1);
  heldOut.set(b.userId, b.purchases[b.purchases.length - 1]!);
  for (const c of train) counts.change(b.userId, c, 1);
}
const popularity = counts.popularity();

let coHits = 0;
let popHits = 0;
let coFromPairs = 0;
const recommended = new Set<number>();
for (const b of buyers) {
  const held = counts.held(b.userId);
  const target = heldOut.get(b.userId)!;
  const co = rank({ pairs: counts.pairRows(held), popularity, exclude: held, limit: K });
  const pop = rank({ pairs: [], popularity, exclude: held, limit: K });
  if (co.some((r) => r.concertId === target)) coHits++;
  if (pop.some((r) => r.concertId === target)) popHits++;
  coFromPairs += co.filter((r) => r.basis === 'CO_PURCHASE').length;
  for (const r of co) recommended.add(r.concertId);
}

const pct = (n: number) => `${((n / BUYERS) * 100).toFixed(1)} %`;
console.log(`demo data: ${BUYERS} buyers, ${CONCERTS} concerts in ${GENRES} genres, ${buyers.reduce((a, b) => a + b.purchases.length, 0)} purchases (seed ${args.seed})`);
console.log(`held out: each buyer's last purchase (${BUYERS} cases); trained on the rest`);
console.log('');
console.log(`  method                          hit rate @${K}`);
console.log(`  co-purchase (item-to-item)      ${pct(coHits)}   (${coHits}/${BUYERS})`);
console.log(`  popularity baseline             ${pct(popHits)}   (${popHits}/${BUYERS})`);
console.log('');
console.log(`co-purchase lists: ${((coFromPairs / (BUYERS * K)) * 100).toFixed(1)} % of the places filled from pairs (the rest by popularity); ${recommended.size} of ${CONCERTS} concerts ever recommended`);
