import { createSeededRandom } from './prng.js';

/** The demo's draws from a seeded PRNG stream: the same seed, the same demo. */
export class DemoRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = createSeededRandom(seed);
  }

  fraction(): number {
    return this.next();
  }

  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(choices: readonly T[]): T {
    const choice = choices[Math.floor(this.next() * choices.length)];
    if (choice === undefined) throw new Error('pick from an empty list');
    return choice;
  }

  /** A version-4-shaped UUID, as real session ids look. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.next() * 16).toString(16));
    hex[12] = '4';
    hex[16] = (8 + Math.floor(this.next() * 4)).toString(16);
    const text = hex.join('');
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  }
}
