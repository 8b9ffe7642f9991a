#!/bin/sh
# Run every libFuzzer target for a bounded time, each from its seed corpus
# (tests/fuzz/corpus/TARGET, copied so the repository is not written), and
# report executions and findings. Build first with
#   ./configure CC=clang --enable-fuzzing && make
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 60)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${HAUL_BUILDDIR:-$top}
secs=${1:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for t in journal http expiry refresh digest input; do
	bin=$build/tests/fuzz/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is not built (configure --enable-fuzzing)" >&2
		exit 2
	fi
	mkdir -p "$work/$t" "$work/$t-crashes"
	cp "$top/tests/fuzz/corpus/$t/"* "$work/$t/" 2>/dev/null
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/$t-crashes/" \
		"$work/$t" >"$work/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	found=$(ls "$work/$t-crashes" | wc -l)
	printf 'fuzz-%-8s %10s executions in %s s, %s finding(s), exit %s\n' "$t" "${runs:-?}" \
		"$secs" "$found" "$rc"
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		status=1
		tail -n 30 "$work/$t.log"
		mkdir -p "$build/fuzz-findings" && cp "$work/$t-crashes/"* "$build/fuzz-findings/" 2>/dev/null
	fi
done
exit $status
