#!/usr/bin/env bash
# Builds the importer fuzz targets with clang (libFuzzer + ASan + UBSan) into BUILD_DIR and runs
# each for SECONDS on its seed corpus, tests/data/fuzz/<format>/ (copied, so that the run's new
# inputs do not land in the repository). Exits 1 when a target crashes, 77 (CTest: skipped) when
# clang cannot build a fuzzer, 0 otherwise.
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS] [TARGET...]
# Longer runs by hand: tests/fuzz/run_fuzz.sh /tmp/fuzz 600 fuzz_edn
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$src/../.." && pwd)"
build="${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}"
seconds="${2:-10}"
shift $(($# > 2 ? 2 : $#))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_jsonl fuzz_edn fuzz_jepsen_log)

cxx="$(command -v clang++ || command -v clang++-14 || true)"
if [ -z "$cxx" ]; then
  echo "run_fuzz: no clang++ (Debian packages clang and libclang-rt-14-dev): skipped" >&2
  exit 77
fi
mkdir -p "$build"
probe="$build/probe.cc"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe"
if ! "$cxx" -fsanitize=fuzzer "$probe" -o "$build/probe" >"$build/probe.log" 2>&1; then
  echo "run_fuzz: $cxx cannot build a libFuzzer target (libclang-rt-14-dev?): skipped" >&2
  exit 77
fi

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
fi
cmake --build "$build" -j2 --target "${targets[@]}" >"$build/build.log" 2>&1 ||
  { tail -n 40 "$build/build.log" >&2; exit 1; }

status=0
for t in "${targets[@]}"; do
  format="${t#fuzz_}"
  corpus="$build/corpus/$format"
  mkdir -p "$corpus" "$build/artifacts/$t"
  cp -n "$root/tests/data/fuzz/$format"/* "$corpus/" 2>/dev/null || true
  log="$build/$t.log"
  # -timeout: an input that takes over 10 s is a hang; -rss_limit_mb bounds memory.
  if "$build/$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      >"$log" 2>&1; then
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    echo "$t: ${execs:-?} runs in ${seconds} s, no crash"
  else
    status=1
    echo "$t: CRASHED (log: $log; inputs: $build/artifacts/$t/)" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -n 20 >&2 || true
  fi
done
exit $status
