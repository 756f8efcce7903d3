#!/usr/bin/env bash
# Installs what ferrovs needs on Debian 12 (as root): DPDK 22.11, bindgen's
# libclang, Open vSwitch with DPDK (benchmark peer, ovs-ofctl/ovs-appctl),
# tshark, Python for os-ken. Idempotent: installs only what is missing.
set -euo pipefail

PKGS=(libdpdk-dev dpdk-dev dpdk clang libclang-dev pkg-config libpcap-dev
      openvswitch-switch-dpdk openvswitch-common tshark ethtool iproute2
      python3-pip python3-venv unzip curl procps)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Debian package starts ovs-vswitchd where systemd runs; ferrovs's tests
# and benchmarks start Open vSwitch themselves when they need it.
if command -v systemctl >/dev/null && systemctl is-active -q openvswitch-switch 2>/dev/null; then
  systemctl stop openvswitch-switch || true
fi

if ! command -v cargo >/dev/null; then
  for d in "$HOME/.cargo/bin" /root/.cargo/bin /usr/local/cargo/bin; do
    [ -x "$d/cargo" ] && export PATH="$d:$PATH" && break
  done
fi
if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found: install Rust 1.85 or newer (rustup) and run again" >&2
  exit 1
fi
