// A seeded pseudo-random sequence for the tests that generate their inputs
// (fuzzing, differential and property tests): the same seed, the same inputs.

/** Numbers in [0, 1) from a linear congruential generator seeded with `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
