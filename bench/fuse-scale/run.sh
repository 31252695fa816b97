#!/usr/bin/env bash
# Fusion speed at ViT-B / BERT-base size on random models (issue 7 item 10). Usage: bench/fuse-scale/run.sh [vit|bert|all] [layers] [presets, default official,default]
# Every row runs in a JVM of its own (as one `otfuse fuse` would), so its peak RSS is its own, OTFUSE_BENCH_REPEATS
# times (default 3); the summary at the end gives, per row, the fastest and the median fusion time and the largest
# peak RSS over the repeats (wall times on a shared 2-core machine move by ±20 % from run to run).
# JVM: the serial collector and the JIT settings of src/main/jvm/jit.args, as ./otfuse runs (OTFUSE_BENCH_GC sets another collector option for every row); heaps:
# ViT rows from weights 512 MB, BERT rows from weights 640 MB (fused tensors spill to a scratch file), rows from
# activations 384 MB (activations stream into a scratch file when they exceed a quarter of the heap).
# OTFUSE_BENCH_XMX_VIT / OTFUSE_BENCH_XMX_BERT / OTFUSE_BENCH_XMX_ACTIVATIONS override the heaps;
# OTFUSE_BENCH_PROFILE=true prints per-phase times; OTFUSE_BENCH_WARMUPS=N runs each fusion N times first in the same JVM
# (diagnosis only: the time in a warm JVM).
# Each timed fusion writes into a fresh folder (the previous repeat's output is deleted before the clock starts), as a
# first `otfuse fuse` does; replacing an old checkpoint (deleting its weights file) is not timed.
# The header line loads the GEMM engine (about 0.5 s) before the first row, so rows are timed with it loaded, as the
# reference's fusion functions ran with torch imported.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
mvn -q -B -o -DskipTests package >/dev/null
cp="target/otfuse-0.1.0.jar:target/lib/*"
which="${1:-all}"
layers="${2:-12}"
repeats="${OTFUSE_BENCH_REPEATS:-3}"
IFS=, read -r -a presets <<< "${3:-official,default}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
first=1
gc="${OTFUSE_BENCH_GC--XX:+UseSerialGC}"
row() { # row LABEL FAMILY HEAP PRESET
  local out r
  for ((r = 0; r < repeats; r++)); do
    # shellcheck disable=SC2086
    out=$(java -Xmx"$3" $gc @src/main/jvm/jit.args -Dotfuse.bench.only="$1 [$4]" -Dotfuse.profile="${OTFUSE_BENCH_PROFILE:-false}" -Dotfuse.bench.warmups="${OTFUSE_BENCH_WARMUPS:-0}" \
        --add-modules jdk.incubator.vector -cp "$cp" io.otfuse.fusion.bench.FuseScale bench/out/fuse-scale "$2" "$layers" "$4" 2>&1 | grep -v '^WARNING')
    if [ "$first" = 1 ]; then echo "$out"; first=0; else echo "$out" | tail -n +3; fi
    echo "$out" | tail -n +3 | grep -v '^ ' >> "$log"
  done
}
for p in "${presets[@]}"; do
  if [ "$which" != bert ]; then
    row "vit-b weights emd" vit "${OTFUSE_BENCH_XMX_VIT:-512m}" "$p"
    row "vit-b weights sinkhorn 0.06" vit "${OTFUSE_BENCH_XMX_VIT:-512m}" "$p"
  fi
  if [ "$which" != vit ]; then
    row "bert-base weights emd" bert "${OTFUSE_BENCH_XMX_BERT:-640m}" "$p"
    row "bert-base weights sinkhorn 0.06" bert "${OTFUSE_BENCH_XMX_BERT:-640m}" "$p"
  fi
  if [ "$which" != bert ]; then
    row "vit-b activations sinkhorn 0.08" vit "${OTFUSE_BENCH_XMX_ACTIVATIONS:-384m}" "$p"
  fi
done
echo
echo "summary over $repeats run(s) per row (fusion s: fastest / median; collect s: median; RSS: largest)"
python3 - "$log" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'(.+?\])\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)', line)
    if not m:
        continue
    label, collect, fusion, avg, iters, rss, model = m.groups()
    r = rows.setdefault(label, {'collect': [], 'fusion': [], 'avg': [], 'rss': [], 'iters': iters, 'model': model})
    if collect != '-':
        r['collect'].append(float(collect))
    r['fusion'].append(float(fusion))
    r['avg'].append(float(avg))
    r['rss'].append(int(rss))
print('%-40s %9s %9s %9s %9s %7s %9s %9s' % ('case [preset]', 'collect s', 'fusion s', 'median s', 'average s', 'iters', 'RSS MB', 'model MB'))
for label, r in rows.items():
    col = '%.2f' % statistics.median(r['collect']) if r['collect'] else '-'
    print('%-40s %9s %9.2f %9.2f %9.2f %7s %9d %9s' % (label, col, min(r['fusion']), statistics.median(r['fusion']),
          statistics.median(r['avg']), r['iters'], max(r['rss']), r['model']))
EOF
