#!/usr/bin/env bash
# Installs everything the project builds and tests with, from Debian 12's packages.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy
  # libraries (Boost 1.81: Asio and Beast are header-only; OpenSSL for TLS)
  libboost1.81-dev libssl-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev doctest-dev
  # real servers and tools the tests drive
  postfix dovecot-core dovecot-pop3d openssl python3 python3-jsonschema iproute2 procps
  # the benchmark peers (bench/): curl; smtp-source and smtp-sink come with postfix
  curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all packages present"; exit 0; }

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the tests run private instances, so the system one stays unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The system Postfix and Dovecot are not used; tests start their own instances on loopback.
for svc in postfix dovecot; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl stop "$svc" || true
  fi
done
echo "install-deps: installed ${missing[*]}"
