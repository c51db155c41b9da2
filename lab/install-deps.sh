#!/usr/bin/env bash
# Everything the lab needs on this machine. Needs root.
#  1. the Debian packages of lab/packages.txt (sshd, nginx, HAProxy, keepalived, ...). No service is
#     started: the lab runs its own sshd, nginx, HAProxy and keepalived inside network namespaces;
#  2. the real Kubernetes components and etcd of every release in lab/components.txt, built from their
#     Go modules by lab/build-components.sh into a cache outside the repository (skipped when built).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(grep -v '^\s*#' "$here/packages.txt" | sed '/^\s*$/d')
export DEBIAN_FRONTEND=noninteractive
# Packages must not start their services on this host while they install (invoke-rc.d honours
# policy-rc.d). Ours is removed again on exit, so later installs start their services as usual.
# One left behind by an older version of this script (it said so in its second line) is removed first.
if [ -e /usr/sbin/policy-rc.d ] && grep -q '^# ha-wizard lab/install-deps.sh' /usr/sbin/policy-rc.d; then
  rm -f /usr/sbin/policy-rc.d
  echo "removed /usr/sbin/policy-rc.d left by an older lab/install-deps.sh (it kept every later package from starting its service)"
fi
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# ha-wizard lab/install-deps.sh: no service starts while it installs\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "lab packages installed: ${missing[*]}"
else
  echo "lab packages already installed: ${pkgs[*]}"
fi
bash "$here/build-components.sh"
