// The seeded pseudo-random generator, with its own range reduction. Every random choice in
// faultline (Raft election timeouts, workload operations, the simulation's network and faults,
// the checker's hash keys) is drawn from one of these, seeded by the caller.
//
// Why not <random>: std::uniform_int_distribution and friends are implementation-defined, so the
// same seed could give a different run on another standard library; a seed must reproduce a run
// bit for bit. etcd-io/raft's one regret is unseeded election randomness; every generator here
// takes its seed from the caller.
#pragma once

#include <cstdint>

namespace faultline::base {

// SplitMix64 (Steele, Lea, Flood 2014): tiny state, passes BigCrush, cheap to fork by seeding a
// child from a parent's output. Not for cryptography. A value type; not thread-safe (one per
// thread, worker or node).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // An independent stream per (seed, stream), e.g. one per client worker, so that a worker's
  // draws do not depend on how threads interleave. (The workloads' seeding, kept as it was so
  // that a --seed replays the same operations it did before issue 11.)
  static Rng ForStream(uint64_t seed, uint64_t stream) {
    return Rng(Mix(seed + kGamma) ^ Mix(stream * 0xd1b54a32d192ed03ULL + 1));
  }

  uint64_t Next() { return Mix(state_ += kGamma); }

  // Uniform in [0, n). REQUIRES: n > 0. Plain modulo: the bias (< n / 2^64) is irrelevant here
  // and the result is the same on every platform.
  uint64_t Uniform(uint64_t n) { return Next() % n; }

  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Uniform(hi - lo + 1); }

  // True with probability per_million / 1e6 (integer probabilities keep runs exact).
  bool Chance(uint64_t per_million) { return Uniform(1000000) < per_million; }

  // SplitMix64's output function: a bijection on 64 bits with good avalanche.
  static constexpr uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio

  uint64_t state_;
};

// Mixes two words into one seed (for per-node and per-incarnation generators).
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xd1b54a32d192ed03ULL));
  r.Next();
  return r.Next();
}

}  // namespace faultline::base
