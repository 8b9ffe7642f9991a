#!/bin/sh
# Run integration tests with haul under valgrind's memcheck: any error or a
# definite/indirect leak makes haul exit 99, which fails the test that ran
# it. Build first (./configure && make), then:
#
#   tests/valgrind.sh [TEST...]      (default: a set that covers every path)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HAUL_BUILDDIR:-$top}
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-vg.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/haul" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --log-file="$work/vg.%p.log" \\
	"$build/src/haul" "\$@"
WRAP
chmod +x "$work/haul"
tests=${*:-"t-sizes t-probe t-parallel t-errors t-state t-expiry t-api t-netfaults t-tls t-report t-batch t-knobs t-stores"}
status=0
for t in $tests; do
	printf '%-12s ' "$t"
	HAUL="$work/haul" HAUL_SRCDIR="$top" PYTHON3=${PYTHON3:-python3} \
		sh "$top/tests/integration/$t.sh" >"$work/$t.tap" 2>&1
	rc=$?
	printf 'exit %s, %s ok, %s not ok\n' "$rc" "$(grep -c '^ok' "$work/$t.tap")" \
		"$(grep -c '^not ok' "$work/$t.tap")"
	[ "$rc" -eq 0 ] || { status=1; grep '^not ok' "$work/$t.tap" | head -5; }
done
runs=$(ls "$work"/vg.*.log 2>/dev/null | wc -l)
# With -q valgrind writes nothing but errors and leaks: any line counts.
errs=$(cat "$work"/vg.*.log 2>/dev/null | grep -c .)
echo "valgrind: $runs haul runs, $errs report lines"
[ "$errs" -eq 0 ] || { cat "$work"/vg.*.log | head -60; status=1; }
exit $status
