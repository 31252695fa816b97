#!/usr/bin/env bash
# Fusion speed at ViT-B / BERT-base size on random models (issue 7 item 10). Usage: bench/fuse-scale/run.sh [vit|bert|all] [layers] [presets, default official,default]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"
mvn -q -B -o -DskipTests package >/dev/null
exec java -Xmx3g --add-modules jdk.incubator.vector -cp "target/otfuse-0.1.0.jar:target/lib/*" io.otfuse.fusion.bench.FuseScale bench/out/fuse-scale "${1:-all}" "${2:-12}" "${3:-official,default}"
