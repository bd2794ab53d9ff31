// A small seeded pseudo-random generator (sfc32) with the draws the seeder needs: the same seed
// always gives the same traffic, so a seeded demo or benchmark can be reproduced.
export class SeededRandom {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    // Mixes the seed in so that neighbouring seeds do not start with similar draws.
    for (let i = 0; i < 15; i++) this.uint32()
  }

  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** A random non-zero UInt64 as its decimal text (JSON numbers cannot carry 64 bits exactly). */
  uint64(): string {
    const high = BigInt(this.uint32() || 1)
    return ((high << 32n) | BigInt(this.uint32())).toString()
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean
  }
}

/** Items drawn by weight in O(log n). */
export class Weighted<T> {
  readonly #items: readonly T[]
  readonly #cumulative: Float64Array
  readonly #total: number

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    if (entries.length === 0) throw new Error('a weighted choice needs at least one item')
    this.#items = entries.map(([item]) => item)
    this.#cumulative = new Float64Array(entries.length)
    let total = 0
    entries.forEach(([, weight], index) => {
      total += weight
      this.#cumulative[index] = total
    })
    this.#total = total
  }

  /** The index of the drawn item. */
  index(random: SeededRandom): number {
    const target = random.next() * this.#total
    let low = 0
    let high = this.#cumulative.length - 1
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#cumulative[middle]! > target) high = middle
      else low = middle + 1
    }
    return low
  }

  draw(random: SeededRandom): T {
    return this.#items[this.index(random)]!
  }
}

/** Zipf-like weights: the first items are by far the most common, as real page and source lists are. */
export const zipf = <T>(items: readonly T[], exponent = 1.1): Weighted<T> =>
  new Weighted(items.map((item, rank) => [item, 1 / (rank + 1) ** exponent] as const))
