#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 30 s each); fails on a crash.
# Usage: bash fuzz/smoke.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
python3 seed.py
cargo +nightly fuzz build
for target in signature_header timestamp_header verify chunked layer; do
  echo "==> fuzz $target for ${secs}s"
  log="$(mktemp)"
  if ! cargo +nightly fuzz run "$target" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed: see fuzz/artifacts/$target" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" || true
  rm -f "$log"
done
echo "fuzz smoke: every target ran ${secs}s without a crash"
