#!/usr/bin/env bash
# Builds test/fixtures/crash/crashme.c for x86-64 (native) and ARM32, AArch64, MIPS32el (Debian
# cross compilers), crashes each one and keeps the core gzip-compressed next to the unstripped
# binary that gdb needs as the oracle (recipe: crash-dumps spec §5).
#   x86-64:        kernel core (core_pattern must be a plain file name); falls back to gdb's
#                  generate-core-file when the kernel writes none (pipe pattern, container).
#   cross targets: qemu-user guest cores (no NT_FILE/NT_SIGINFO: the link-map path of the decoder).
# Needs: gcc gdb qemu-user gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu gcc-mipsel-linux-gnu
#        libc6-dev-{armhf,arm64,mipsel}-cross. Run from anywhere; rewrites the fixtures in place.
set -euo pipefail

repo_dir="$(cd "$(dirname "$0")/.." && pwd)"
fixture_dir="$repo_dir/test/fixtures/crash"
source_file="$fixture_dir/crashme.c"
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/ipp-crash-XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

# Frame pointers and -O0 keep the call chain recoverable without CFI; -no-pie keeps the QEMU
# cores loadable by gdb (no dumped ELF header page to relocate a PIE from); ARM state (-marm)
# matches the phones' firmware.
common_flags=(-g -O0 -fno-omit-frame-pointer -pthread "-fdebug-prefix-map=$fixture_dir=.")

build() { # arch compiler extra-flags...
  local arch="$1" compiler="$2"
  shift 2
  "$compiler" "${common_flags[@]}" "$@" -o "$work_dir/crashme_$arch" "$source_file"
}

keep() { # arch core-file producer
  local arch="$1" core="$2" producer="$3"
  gzip -9 -n -c "$core" > "$fixture_dir/core.$arch.gz"
  cp "$work_dir/crashme_$arch" "$fixture_dir/crashme_$arch"
  printf '%-16s producer=%-28s raw=%10d gz=%8d sha256(raw)=%s\n' "core.$arch.gz" "$producer" \
    "$(stat -c %s "$core")" "$(stat -c %s "$fixture_dir/core.$arch.gz")" "$(sha256sum "$core" | cut -d' ' -f1)"
}

crash_native_x86_64() {
  build x86_64 gcc
  local run_dir="$work_dir/run-x86_64"
  mkdir -p "$run_dir"
  (cd "$run_dir" && ulimit -c unlimited && "$work_dir/crashme_x86_64" >/dev/null) || true
  local core
  core="$(find "$run_dir" -maxdepth 1 -name 'core*' -type f | head -n 1)"
  if [ -n "$core" ]; then
    keep x86_64 "$core" "linux kernel"
  else
    (cd "$run_dir" && gdb -q -batch -ex run -ex "generate-core-file $run_dir/gdb.core" \
      "$work_dir/crashme_x86_64" >/dev/null 2>&1) || true
    keep x86_64 "$run_dir/gdb.core" "gdb generate-core-file"
  fi
}

crash_under_qemu() { # arch qemu triplet extra-flags...
  local arch="$1" qemu="$2" triplet="$3"
  shift 3
  build "$arch" "$triplet-gcc" -no-pie "$@"
  local run_dir="$work_dir/run-$arch"
  mkdir -p "$run_dir"
  (cd "$run_dir" && ulimit -c unlimited && "$qemu" -L "/usr/$triplet" "$work_dir/crashme_$arch" >/dev/null) || true
  # QEMU also lets the host kernel dump QEMU itself as plain "core": only the guest core matters.
  local core
  core="$(find "$run_dir" -maxdepth 1 -name "qemu_crashme_${arch}_*.core" -type f | head -n 1)"
  [ -n "$core" ] || { echo "no QEMU core for $arch in $run_dir" >&2; exit 1; }
  keep "$arch" "$core" "$("$qemu" --version | head -n 1 | sed 's/ version / /')"
}

crash_native_x86_64
crash_under_qemu armhf qemu-arm arm-linux-gnueabihf -marm
crash_under_qemu aarch64 qemu-aarch64 aarch64-linux-gnu
crash_under_qemu mipsel qemu-mipsel mipsel-linux-gnu
