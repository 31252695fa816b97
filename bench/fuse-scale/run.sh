#!/usr/bin/env bash
# Fusion speed at ViT-B / BERT-base size on random models (issue 7 item 10). Usage: bench/fuse-scale/run.sh [vit|bert|all] [layers] [presets, default official,default]
# Rows from weights run with a 1 GiB heap (fused tensors then spill to a scratch file, so peak RSS stays near the
# working set); rows from activations hold every tap's activations of both models and run with 3 GiB.
# OTFUSE_BENCH_XMX_WEIGHTS / OTFUSE_BENCH_XMX_ACTIVATIONS override; OTFUSE_BENCH_PROFILE=true prints per-phase times.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
mvn -q -B -o -DskipTests package >/dev/null
cp="target/otfuse-0.1.0.jar:target/lib/*"
args=(bench/out/fuse-scale "${1:-all}" "${2:-12}" "${3:-official,default}")
java -Xmx"${OTFUSE_BENCH_XMX_WEIGHTS:-1g}" -Dotfuse.bench.only=weights -Dotfuse.profile="${OTFUSE_BENCH_PROFILE:-false}" \
    --add-modules jdk.incubator.vector -cp "$cp" io.otfuse.fusion.bench.FuseScale "${args[@]}"
if [ "${1:-all}" != bert ]; then
  java -Xmx"${OTFUSE_BENCH_XMX_ACTIVATIONS:-3g}" -Dotfuse.bench.only=activations -Dotfuse.profile="${OTFUSE_BENCH_PROFILE:-false}" \
      --add-modules jdk.incubator.vector -cp "$cp" io.otfuse.fusion.bench.FuseScale "${args[@]}" | tail -n +3
fi
