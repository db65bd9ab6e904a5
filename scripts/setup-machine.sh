#!/usr/bin/env bash
# Install the Debian packages that `node build.mjs` and `npm test` need on a Debian
# (bookworm) machine: run it once as root on a new machine (CI runs it from .ci/run).
# Idempotent: packages already installed are skipped, and apt is not touched at all
# when nothing is missing.
#
#   binutils            strip for the host architecture's node binary
#   binutils-<cross>    strip for the other architecture's node binary
#   qemu-user-static    runs the other architecture's node (SEA blob with code cache,
#                       and the arm64 binary test on an amd64 host)
#   lib*-<arch>-cross   the other architecture's libc/libstdc++ sysroot for qemu (-L)
#   xz-utils            size measurements; openssl, iproute2, util-linux (unshare): tests
#   time                GNU time: peak RSS of each run in `npm run bench`
#   shellcheck, curl    node-setup: lint its scripts; the installer downloads the binary
#   skopeo, docker-registry  the real-client test: a containers client pulling through
#                       the credential helper from a distribution registry
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-machine.sh: must run as root (apt-get install)" >&2
  exit 1
fi

case "$(dpkg --print-architecture)" in
  amd64) cross=arm64;  cross_gnu=aarch64-linux-gnu ;;
  arm64) cross=amd64;  cross_gnu=x86-64-linux-gnu ;;
  *) echo "setup-machine.sh: unsupported host architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac

packages=(
  binutils
  "binutils-${cross_gnu}"
  qemu-user-static
  "libc6-${cross}-cross"
  "libgcc-s1-${cross}-cross"
  "libstdc++6-${cross}-cross"
  xz-utils
  openssl
  iproute2
  util-linux
  shellcheck
  curl
  time
  skopeo
  docker-registry
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-machine.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup-machine.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -qq -y --no-install-recommends "${missing[@]}" >/dev/null
