#!/usr/bin/env bash
# Installs the Debian packages the lab needs (lab/packages.txt). Needs root. Starts no service:
# the lab runs its own sshd, etcd, nginx and HAProxy inside network namespaces.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(grep -v '^\s*#' "$here/packages.txt" | sed '/^\s*$/d')
export DEBIAN_FRONTEND=noninteractive
# Packages must not start their services on this host (policy-rc.d is honoured by invoke-rc.d).
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "lab packages installed: ${pkgs[*]}"
