#!/usr/bin/env bash
# What the tests need beyond Go, installed or asked for: `make test` and
# .ci/run run this first.
#
# System packages (Debian names), each checked by what the suite uses:
#   gcc, libc6-dev       the C toolchain `go test -race` needs (cgo)
#   git                  `make vet` lists the tracked Go files
#   chromium             the dashboard test (gateway) and the interop scripts
#   python3-websockets   the seed clients and interop (/usr/bin/python3)
#   nodejs, npm          the Node interop client and the JS SDK's tools
#   curl                 the bench and interop scripts
#   openssl              the engine's TLS 1.3 tests (s_client: suites, KeyUpdate)
# Missing ones are installed with apt-get when this runs as root (as CI
# does); otherwise it stops at once and prints the one command to run.
# npm packages go into the project's own node_modules/ (gitignored): ws@8
# for the interop clients, and the dependencies of every tracked
# package.json (the JS SDK's, say) into the node_modules beside it.
#
# Environment: CHROMIUM=/path counts as Chromium being present (the tests
# use it). For testing this script: DEPS_ASSUME_MISSING="pkg …" treats
# those packages (Debian names above, or ws) as missing, DEPS_DRY_RUN=1 prints the apt-get and npm
# commands instead of running them.
set -euo pipefail
cd "$(dirname "$0")/.."

has() { command -v "$1" >/dev/null 2>&1; }

# present PKG: whether the Debian package's command or module is there.
assumed_missing() { case " ${DEPS_ASSUME_MISSING:-} " in *" $1 "*) return 0 ;; esac; return 1; }

present() {
  assumed_missing "$1" && return 1
  case $1 in
    gcc) has "$(go env CC 2>/dev/null || echo gcc)" ;;
    libc6-dev) [ -f /usr/include/stdlib.h ] ;;
    git) has git ;;
    chromium) [ -n "${CHROMIUM:-}" ] || has chromium || has chromium-browser || has google-chrome ;;
    python3-websockets) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import websockets' 2>/dev/null ;;
    nodejs) has node ;;
    npm) has npm ;;
    curl) has curl ;;
    openssl) has openssl ;;
    *) echo "deps.sh: unknown package $1" >&2; return 1 ;;
  esac
}

run() {
  if [ -n "${DEPS_DRY_RUN:-}" ]; then echo "would run: $*" >&2; else "$@"; fi
}

need=()
for pkg in gcc libc6-dev git chromium python3-websockets nodejs npm curl openssl; do
  present "$pkg" || need+=("$pkg")
done

if [ ${#need[@]} -gt 0 ]; then
  install="apt-get update -qq && apt-get install -y -qq --no-install-recommends ${need[*]}"
  if [ "${EUID:-$(id -u)}" != 0 ]; then
    echo "make test needs these system packages: ${need[*]}" >&2
    echo "install them (then run make test again) with:" >&2
    echo "  sudo sh -c '$install'" >&2
    exit 2
  fi
  if ! has apt-get; then
    echo "make test needs these (Debian names): ${need[*]}; no apt-get here, install them by hand" >&2
    exit 2
  fi
  echo "deps.sh: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update -qq
  run apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

npm_install() { # DIR ARGS…: npm install into DIR/node_modules
  local dir=$1
  shift
  echo "deps.sh: npm install $* in ${dir}/" >&2
  run npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >/dev/null
}

# Node's ws for the interop clients, into ./node_modules.
if [ ! -f node_modules/ws/package.json ] || assumed_missing ws; then
  npm_install . --no-save --no-package-lock ws@8
fi
# Each tracked package.json's dependencies, when its node_modules is
# missing or older than it.
while IFS= read -r pj; do
  dir=$(dirname "$pj")
  if [ ! -d "$dir/node_modules" ] || [ "$pj" -nt "$dir/node_modules" ]; then
    npm_install "$dir"
    [ -n "${DEPS_DRY_RUN:-}" ] || touch "$dir/node_modules"
  fi
done < <(git ls-files '*package.json' 2>/dev/null | grep -v node_modules || true)
