#!/usr/bin/env bash
# Builds the real Kubernetes control plane and etcd for the lab from their Go modules, into a cache
# outside the repository (one directory per component version). Skips what is already built.
#
#   bash lab/build-components.sh [VERSION ...]     default: every release in lab/components.txt
#
# Cache: $HA_WIZARD_LAB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/ha-wizard/lab, ~ the user's home in the password
# database (lab/components.ts resolves it the same way)
#   kubernetes/v1.37.2/{kubeadm,kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,etcd-version}
#   etcd/v3.7.0/{etcd,etcdctl,etcdutl}     the etcd that release's kubeadm pins (etcd-version names it)
#   kube-vip/v1.0.0/kube-vip               github.com/kube-vip/kube-vip (the `kube-vip VERSION` line of components.txt)
# A directory is complete when its .built file names every binary; a half-built one is rebuilt.
#
# Why a build module: k8s.io/kubernetes requires its staging modules (k8s.io/api, ...) at v0.0.0 and maps
# them with local `replace`s that a dependent does not inherit. The module made here requires
# k8s.io/kubernetes vX.Y.Z and replaces each staging module with its published v0.Y.Z.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=$(getent passwd "$(id -u)" | cut -d: -f6)
cache=${HA_WIZARD_LAB_CACHE:-${XDG_CACHE_HOME:-${home:-$HOME}/.cache}/ha-wizard/lab}

# `sudo` resets PATH to secure_path, which does not hold Go's default install location.
if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; else
    echo "lab build: Go is needed to build the lab's Kubernetes components (go.dev/doc/install, Go 1.26 or newer)" >&2; exit 1
  fi
fi
export GOFLAGS=${GOFLAGS:--buildvcs=false} CGO_ENABLED=0
# A module that asks for a newer Go than this one fails here instead of fetching a toolchain silently.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

K8S_BINARIES="kubeadm kube-apiserver kube-controller-manager kube-scheduler kubectl"
ETCD_BINARIES="etcd etcdctl etcdutl"
start=$(date +%s)
say() { printf '[lab build %4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

built() { # DIR BINARIES: every binary present and recorded
  local dir=$1; shift
  [ -f "$dir/.built" ] || return 1
  for b in "$@"; do [ -x "$dir/$b" ] && grep -qx "$b" "$dir/.built" || return 1; done
}

build_kubernetes() {
  local v=$1 dir="$cache/kubernetes/v$1" work="$cache/build/kubernetes-v$1"
  if built "$dir" $K8S_BINARIES; then say "kubernetes v$v: already built ($dir)"; return; fi
  local minor=${v#*.}; minor=${minor%%.*}
  say "kubernetes v$v: fetching k8s.io/kubernetes@v$v and its dependencies"
  mkdir -p "$work" "$dir"
  local mod
  mod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$v" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  [ -f "$mod" ] || { echo "lab build: could not download k8s.io/kubernetes@v$v" >&2; exit 1; }
  {
    echo "module ha-wizard.lab/build/kubernetes"
    echo
    echo "go $(sed -n 's/^go \(.*\)$/\1/p' "$mod")"
    echo
    echo "require k8s.io/kubernetes v$v"
    echo
    echo "replace ("
    # Every `k8s.io/NAME => ./staging/...` of kubernetes' own go.mod, published as v0.MINOR.PATCH.
    sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*$#\t\1 => \1 v0.'"${v#*.}"'#p' "$mod"
    echo ")"
  } > "$work/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "// Package tools names the commands this module builds, so that go mod tidy keeps their dependencies."
    echo "package tools"
    echo
    echo "import ("
    for b in $K8S_BINARIES; do echo "	_ \"k8s.io/kubernetes/cmd/$b\""; done
    echo ")"
  } > "$work/tools.go"
  (cd "$work" && go mod tidy)
  # The version stamp kubeadm, kubectl and the apiserver report (kubernetes' hack/lib/version.sh sets the same).
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=v$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  rm -f "$dir/.built"
  local n=0 total
  total=$(echo $K8S_BINARIES | wc -w)
  for b in $K8S_BINARIES; do
    n=$((n + 1))
    say "kubernetes v$v: building $b ($n/$total)"
    (cd "$work" && go build -trimpath -ldflags "$ld" -o "$dir/$b" "k8s.io/kubernetes/cmd/$b")
    echo "$b" >> "$dir/.built"
  done
  [ "$("$dir/kubeadm" version -o short)" = "v$v" ] || { echo "lab build: $dir/kubeadm does not report v$v" >&2; exit 1; }
  say "kubernetes v$v: done ($(du -sh "$dir" | cut -f1))"
}

# The etcd version kubeadm v$1 writes into etcd.yaml (its image tag without the -N build suffix).
pinned_etcd() {
  local dir="$cache/kubernetes/v$1" e
  if [ ! -s "$dir/etcd-version" ]; then
    e=$("$dir/kubeadm" config images list --kubernetes-version "v$1" 2>/dev/null | sed -n 's#^.*/etcd:\([0-9][0-9.]*\)-[0-9]*$#\1#p')
    [ -n "$e" ] || { echo "lab build: kubeadm v$1 names no etcd image (kubeadm config images list)" >&2; exit 1; }
    echo "$e" > "$dir/etcd-version"
  fi
  cat "$dir/etcd-version"
}

build_etcd() {
  local v=$1 dir="$cache/etcd/v$1" work="$cache/build/etcd-v$1"
  if built "$dir" $ETCD_BINARIES; then say "etcd v$v: already built ($dir)"; return; fi
  say "etcd v$v: fetching go.etcd.io/etcd@v$v"
  mkdir -p "$work" "$dir"
  cat > "$work/go.mod" <<EOF
module ha-wizard.lab/build/etcd

go 1.24

require (
	go.etcd.io/etcd/server/v3 v$v
	go.etcd.io/etcd/etcdctl/v3 v$v
	go.etcd.io/etcd/etcdutl/v3 v$v
)
EOF
  cat > "$work/tools.go" <<EOF
//go:build tools

// Package tools names the commands this module builds, so that go mod tidy keeps their dependencies.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
EOF
  (cd "$work" && go mod tidy)
  rm -f "$dir/.built"
  local n=0
  for b in $ETCD_BINARIES; do
    n=$((n + 1))
    local pkg=go.etcd.io/etcd/server/v3
    [ "$b" = etcd ] || pkg=go.etcd.io/etcd/$b/v3
    say "etcd v$v: building $b ($n/3)"
    (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$dir/$b" "$pkg")
    echo "$b" >> "$dir/.built"
  done
  case "$("$dir/etcd" --version)" in *"etcd Version: $v"*) ;; *) echo "lab build: $dir/etcd does not report $v" >&2; exit 1 ;; esac
  say "etcd v$v: done ($(du -sh "$dir" | cut -f1))"
}

# kube-vip, the VIP placement's second provider: its static pod runs this binary on every control-plane node.
# The module has no replace directives, so it builds as the dependency of a small build module.
build_kube_vip() {
  local v=$1 dir="$cache/kube-vip/v$1" work="$cache/build/kube-vip-v$1"
  if built "$dir" kube-vip; then say "kube-vip v$v: already built ($dir)"; return; fi
  say "kube-vip v$v: fetching github.com/kube-vip/kube-vip@v$v"
  mkdir -p "$work" "$dir"
  local mod
  mod=$(cd "$work" && go mod download -json "github.com/kube-vip/kube-vip@v$v" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  [ -f "$mod" ] || { echo "lab build: could not download github.com/kube-vip/kube-vip@v$v" >&2; exit 1; }
  printf 'module ha-wizard.lab/build/kube-vip\n\ngo %s\n\nrequire github.com/kube-vip/kube-vip v%s\n' "$(sed -n 's/^go \(.*\)$/\1/p' "$mod")" "$v" > "$work/go.mod"
  printf '//go:build tools\n\n// Package tools names the command this module builds, so that go mod tidy keeps its dependencies.\npackage tools\n\nimport _ "github.com/kube-vip/kube-vip"\n' > "$work/tools.go"
  (cd "$work" && go mod tidy)
  rm -f "$dir/.built"
  say "kube-vip v$v: building kube-vip"
  # The version kube-vip reports (its Makefile sets the same variable).
  (cd "$work" && go build -trimpath -ldflags "-s -w -X main.Version=v$v" -o "$dir/kube-vip" github.com/kube-vip/kube-vip)
  echo kube-vip >> "$dir/.built"
  "$dir/kube-vip" version >/dev/null 2>&1 || { echo "lab build: $dir/kube-vip does not run" >&2; exit 1; }
  say "kube-vip v$v: done ($(du -sh "$dir" | cut -f1))"
}

wanted=("$@")
listed_vip() { sed -n 's/^\s*kube-vip\s\+v\?\([0-9][0-9.]*\)\s*$/\1/p' "$here/components.txt"; }
vips=()
if [ ${#wanted[@]} -eq 0 ]; then
  mapfile -t wanted < <(sed -n 's/^\s*kubernetes\s\+v\?\([0-9][0-9.]*\)\s*$/\1/p' "$here/components.txt")
  mapfile -t vips < <(listed_vip)
fi
say "cache: $cache"
for version in "${wanted[@]}"; do
  # `kube-vip` or `kube-vip@VERSION` builds kube-vip alone (default: the version components.txt lists).
  if [[ $version == kube-vip* ]]; then
    v=${version#kube-vip}; v=${v#@}; v=${v#v}
    [ -n "$v" ] || v=$(listed_vip | head -1)
    vips+=("$v"); continue
  fi
  version=${version#v}
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "lab build: $version is not a Kubernetes release such as 1.37.2" >&2; exit 2; }
  build_kubernetes "$version"
  build_etcd "$(pinned_etcd "$version")"
done
for v in "${vips[@]}"; do
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "lab build: kube-vip $v is not a release such as 1.0.0" >&2; exit 2; }
  build_kube_vip "$v"
done
say "all built; $(du -sh --exclude=build "$cache" | cut -f1) in $cache"
