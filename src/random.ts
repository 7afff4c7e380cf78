/**
 * A small, seeded pseudo-random generator. Every random choice in robustnorm
 * (weight init, shuffling, attack random starts) draws from one of these, so the
 * same seed always gives the same numbers.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast counting" generator,
 * 128 bits of state), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. Normal samples use the Box–Muller transform.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private counter: number;
  /** A second normal sample left over from the last Box–Muller pair. */
  private spareNormal: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Random: seed must be a finite number, got ${seed}`);
    let state = seed >>> 0;
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.counter = splitmix32();
    for (let i = 0; i < 12; i++) this.nextUint32(); // mix the state before first use
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = (this.a + this.b + this.counter) >>> 0;
    this.counter = (this.counter + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + result) >>> 0;
    return result;
  }

  /** A uniform number in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform number in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A standard normal sample, N(0, 1), by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    // u1 in (0, 1] so that log(u1) is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Random.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i] as T;
      items[i] = items[j] as T;
      items[j] = held;
    }
    return items;
  }

  /** A permutation of 0 … n−1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** A new generator whose stream depends only on this one's next draw. */
  fork(): Random {
    return new Random(this.nextUint32());
  }
}

let defaultGenerator = new Random(0);

/** Re-seeds the library's default generator (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator = new Random(seed);
}

/** The library's default generator, used when no generator is passed. */
export function defaultRandom(): Random {
  return defaultGenerator;
}
