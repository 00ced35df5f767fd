#!/bin/bash
# The entry-reuse race before and after the fix, in one run (README.md).
# Builds tests/tools/test_reuse twice: against this tree's programs (with the
# generation), and against the programs before it (commit $OLD, main before
# the fix) with the same window patched in (old-window.patch), then runs both.
# Needs root (it loads BPF programs); attaches nothing, sends no packet.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
OLD=${OLD:-4196476}
tmp=$(mktemp -d /tmp/reuse-race.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
arch=$(gcc -dumpmachine)
bpf="clang -g -O2 -target bpf -mcpu=v3 -Wall -Werror -I/usr/include/$arch -DHO_RACE_TEST"
cc="gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE"
libs="$(pkg-config --libs libbpf) -lelf -lz"

build() { # SRC_TREE OUT_DIR EXTRA_CFLAGS
	mkdir -p "$2"
	$bpf -I"$1/bpf" -I"$2" -c "$1/bpf/halfopen.bpf.c" -o "$2/race.bpf.o"
	bpftool gen skeleton "$2/race.bpf.o" name halfopen_race_bpf >"$2/halfopen_race.skel.h"
	$cc $3 -I"$1/bpf" -I"$2" "$root/tests/tools/test_reuse.c" -o "$2/test_reuse" $libs
}

# after: this tree
build "$root" "$tmp/new" ""
# before: the old programs, the same window, the same cases (without the generation)
mkdir -p "$tmp/old"
git -C "$root" archive "$OLD" bpf include | tar -x -C "$tmp/old"
patch -s -d "$tmp/old" -p1 <"$here/old-window.patch"
cp "$root/bpf/race_test.h" "$tmp/old/bpf/"
# the old entry has no cookie to write
sed '/race.x.cookie = cookie;/d' "$root/bpf/race_test.bpf.h" >"$tmp/old/bpf/race_test.bpf.h"
build "$tmp/old" "$tmp/oldb" "-DOLD_ABI"

echo "== before the fix ($OLD + window)"
"$tmp/oldb/test_reuse" || true
echo "== after the fix ($(git -C "$root" rev-parse --short HEAD))"
"$tmp/new/test_reuse"
