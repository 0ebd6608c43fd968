#!/usr/bin/env bash
# Installs the local servers (the third infrastructure mode: no URLs given, no Docker engine)
# from the package registries this project can reach, into a cache outside the checkout, and
# prints where each one is as KEY=value lines on stdout (progress goes to stderr).
#
#   kafka     Apache Kafka 3.9 jars resolved from Maven Central with mvn (run on the machine's Java)
#   ferretdb  FerretDB v1.24 (MongoDB wire protocol) built with go from the Go module proxy
#   postgres  PostgreSQL from Debian's packages
#   redis     Redis from Debian's packages
#
# Idempotent: a component already installed costs a file check.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${CHAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-backend}"
mkdir -p "$cache"

log() { echo "install: $*" >&2; }
die() { echo "install: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$2"; }

apt_install() {
  local pkg="$1"
  [ "$(id -u)" = 0 ] || die "$pkg is missing and installing it needs root (apt-get install $pkg)"
  log "apt-get install $pkg"
  export DEBIAN_FRONTEND=noninteractive
  # Package lists may be absent on a fresh machine: update once and try again.
  if ! apt-get install -y -q --no-install-recommends "$pkg" >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "$pkg" >&2
  fi
}

install_kafka() {
  local version
  version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")"
  local dir="$cache/kafka-$version"
  if [ ! -f "$dir/.complete" ]; then
    need java "Kafka needs Java (17+) on PATH"
    need mvn "Kafka's jars are resolved with Maven (mvn) from Maven Central"
    log "resolving Kafka $version jars from Maven Central into $dir/libs"
    rm -rf "$dir"
    mkdir -p "$dir"
    mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$dir/libs" -DincludeScope=runtime >&2
    touch "$dir/.complete"
  fi
  echo "KAFKA_LIBS=$dir/libs"
  echo "KAFKA_LOG4J=$here/kafka/log4j.properties"
  echo "JAVA_BIN=$(command -v java)"
}

install_ferretdb() {
  # The build is keyed by the launcher's sources and our patches, so a change to them rebuilds it.
  local key
  key="$(cat "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" "$here"/ferretdb/patches/*.patch | sha256sum | cut -c1-12)"
  local dir="$cache/ferretdb-$key"
  if [ ! -x "$dir/ferretdb" ]; then
    need go "FerretDB is built with Go from the Go module proxy"
    need patch "FerretDB's source is patched before it is built (deploy/local/ferretdb/patches)"
    log "building FerretDB (go install, patched: $(cd "$here/ferretdb/patches" && echo *.patch)) into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    # FerretDB's source as the module proxy serves it (checked against go.sum), our patches on
    # top, and the launcher built against that copy through a replace directive.
    local module
    module="$(cd "$here/ferretdb" && GOFLAGS=-mod=readonly go mod download -json github.com/FerretDB/FerretDB | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$module" ] || die "could not download FerretDB's module source"
    cp -R "$module" "$dir/ferretdb-src" && chmod -R u+w "$dir/ferretdb-src"
    local patch_file
    for patch_file in "$here"/ferretdb/patches/*.patch; do
      patch --batch --forward -s -p1 -d "$dir/ferretdb-src" <"$patch_file" || die "patch $(basename "$patch_file") did not apply"
    done
    mkdir -p "$dir/launcher"
    cp "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" "$dir/launcher/"
    (
      cd "$dir/launcher"
      go mod edit -replace "github.com/FerretDB/FerretDB=$dir/ferretdb-src"
      GOBIN="$dir" GOFLAGS=-mod=mod go install .
    ) >&2
  fi
  echo "FERRETDB_BIN=$dir/ferretdb"
}

postgres_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir)"
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  fi
  return 1
}

install_postgres() {
  local bindir
  if ! bindir="$(postgres_bindir)"; then
    apt_install postgresql
    bindir="$(postgres_bindir)" || die "postgresql installed but no postgres binary found under /usr/lib/postgresql"
  fi
  echo "POSTGRES_BIN_DIR=$bindir"
  # PostgreSQL refuses to run as root: when we are root, it runs as this account.
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      log "creating system user postgres"
      useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres >&2
    fi
    echo "POSTGRES_OS_USER=postgres"
  fi
}

install_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "REDIS_SERVER_BIN=$(command -v redis-server)"
}

[ "$#" -gt 0 ] || set -- kafka ferretdb postgres redis
for component in "$@"; do
  case "$component" in
    kafka) install_kafka ;;
    ferretdb) install_ferretdb ;;
    postgres) install_postgres ;;
    redis) install_redis ;;
    *) die "unknown component '$component' (kafka, ferretdb, postgres, redis)" ;;
  esac
done
