// Shared by the tests and the benchmarks (scripts import from test/support, never the other way).
/** A small seeded PRNG (mulberry32): repeatable runs, and unlike a bare LCG its low bits are random. */
export function seededRandom(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}
