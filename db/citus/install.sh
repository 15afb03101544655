#!/usr/bin/env bash
# Installs citus_columnar (and the rest of Citus 13.2.2) into the local PostgreSQL 15 when its files are
# missing. Debian does not package Citus; the tarball beside this script is the upstream v13.2.2 build
# for PostgreSQL 15 (see README.md here). Only files are added: citus_columnar needs no
# shared_preload_libraries and no restart, CREATE EXTENSION citus_columnar loads it on first use.
# Idempotent; skips quietly when there is no pg_config or the server is not PostgreSQL 15.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
command -v pg_config >/dev/null 2>&1 || { echo "citus_columnar: no pg_config, not installed (row partitions)"; exit 0; }
libdir=$(pg_config --pkglibdir)
sharedir=$(pg_config --sharedir)
case "$(pg_config --version)" in
  "PostgreSQL 15."*) ;;
  *) echo "citus_columnar: the bundled build is for PostgreSQL 15 only; skipped (row partitions)"; exit 0 ;;
esac
if [ -f "$libdir/citus_columnar.so" ] && [ -f "$sharedir/extension/citus_columnar.control" ]; then
  exit 0
fi
sudo=()
[ -w "$libdir" ] && [ -w "$sharedir/extension" ] || sudo=(sudo)
# The tarball's paths are Debian's (/usr/lib/postgresql/15/lib, /usr/share/postgresql/15/extension):
# unpack to a scratch directory and copy into wherever this pg_config says.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar xzf "$HERE/citus-13.2.2-pg15-amd64.tar.gz" -C "$tmp"
"${sudo[@]}" cp -r "$tmp"/usr/lib/postgresql/15/lib/. "$libdir/"
"${sudo[@]}" cp "$tmp"/usr/share/postgresql/15/extension/. -r "$sharedir/extension/"
echo "citus_columnar: installed into $libdir and $sharedir/extension"
