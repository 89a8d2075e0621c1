#!/bin/sh
# Rebuilds the Wasm kernels from their C sources: src/kernels/mlp.wasm (the fused MLP training
# step) and src/kernels/linalg.wasm (the live metrics' float64 Gram matrices and eigenvalues).
# Needs clang and lld with the wasm32 target (Debian: apt-get install -y clang lld). The .wasm files
# are committed, so machines without a compiler run the same bytes.
#   scripts/build-kernel.sh               both kernels, in place
#   scripts/build-kernel.sh OUT           mlp.wasm, written to OUT instead
#   scripts/build-kernel.sh NAME [OUT]    one kernel (mlp or linalg), in place or to OUT
# (test/kernels checks that each committed file is what its source builds to)
set -eu
cd "$(dirname "$0")/.."
build() { # name out
  clang --target=wasm32 -O3 -msimd128 -nostdlib -ffreestanding -fno-builtin-memset \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -Wl,--no-entry -Wl,--export-dynamic -Wl,--stack-first -Wl,-z,stack-size=1048576 -Wl,--initial-memory=2097152 \
    -o "$2" "src/kernels/$1.c"
  echo "built $2 ($(wc -c < "$2") bytes)"
}
case "${1:-}" in
  "") build mlp src/kernels/mlp.wasm; build linalg src/kernels/linalg.wasm ;;
  mlp|linalg) build "$1" "${2:-src/kernels/$1.wasm}" ;;
  *) build mlp "$1" ;;
esac
