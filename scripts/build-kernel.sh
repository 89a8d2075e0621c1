#!/bin/sh
# Rebuilds src/kernels/mlp.wasm from src/kernels/mlp.c (the fused MLP training step).
# Needs clang and lld with the wasm32 target (Debian: apt-get install -y clang lld). The .wasm is
# committed, so machines without a compiler run the same bytes. An argument writes elsewhere
# (test/kernels checks that the committed file is what the source builds to).
set -eu
cd "$(dirname "$0")/.."
out="${1:-src/kernels/mlp.wasm}"
clang --target=wasm32 -O3 -msimd128 -nostdlib -ffreestanding -fno-builtin-memset \
  -Wall -Wextra -Werror -Wno-unused-parameter \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--initial-memory=2097152 \
  -o "$out" src/kernels/mlp.c
echo "built $out ($(wc -c < "$out") bytes)"
