// A small seeded pseudo-random generator with its own range reduction.
//
// Why not <random>: std::uniform_int_distribution and friends are implementation-defined, so the
// same seed could give a different run on another standard library; the simulation promises that
// a seed reproduces bit for bit. etcd-io/raft's one regret is unseeded election randomness; every
// generator here takes its seed from the caller.
#pragma once

#include <cstdint>

namespace faultline::raft {

// SplitMix64 (Steele, Lea, Flood 2014): tiny state, passes BigCrush, cheap to fork by seeding a
// child from a parent's output. Not for cryptography.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n). REQUIRES: n > 0. Plain modulo: the bias (< n / 2^64) is irrelevant here
  // and the result is the same on every platform.
  uint64_t Uniform(uint64_t n) { return Next() % n; }

  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Uniform(hi - lo + 1); }

  // True with probability per_million / 1e6 (integer probabilities keep runs exact).
  bool Chance(uint64_t per_million) { return Uniform(1000000) < per_million; }

 private:
  uint64_t state_;
};

// Mixes several words into one seed (for per-node and per-incarnation generators).
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xd1b54a32d192ed03ULL));
  r.Next();
  return r.Next();
}

}  // namespace faultline::raft
