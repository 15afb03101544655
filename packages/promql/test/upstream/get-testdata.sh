#!/usr/bin/env bash
# Puts Prometheus v2.42.0's PromQL test scripts (promql/testdata/*.test) in ./testdata, which git ignores:
# they are not ours to commit, so they come from Debian bookworm's source package prometheus 2.42.0+ds,
# whose upstream tarball holds them unchanged (testdata.sha256 pins every file). Idempotent: does
# nothing when the files are already there. Uses apt, so it runs as root (as CI does).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/testdata"
sums="$here/testdata.sha256"

verify() { (cd "$1" && sha256sum --quiet --strict -c "$sums") >/dev/null 2>&1; }

if [ -d "$dest" ] && verify "$dest"; then
  echo "upstream PromQL testdata already in $dest"
  exit 0
fi

# apt-get source needs deb-src entries, which Debian's images leave out: add them for the same Debian
# mirrors the deb entries use (deb822 .sources files and one-line .list files alike).
if ! apt-cache showsrc prometheus 2>/dev/null | grep -q '^Version: 2\.42\.0+ds'; then
  extra=/etc/apt/sources.list.d/pivot-deb-src
  shopt -s nullglob
  sources=(/etc/apt/sources.list.d/*.sources)
  lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  if [ ${#sources[@]} -gt 0 ]; then
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
      /(^|\n)Types:[ \t]*deb[ \t]*(\n|$)/ && /URIs:[^\n]*debian/ { sub(/Types:[ \t]*deb/, "Types: deb-src"); print }' \
      "${sources[@]}" >"$extra.sources"
    [ -s "$extra.sources" ] || rm -f "$extra.sources"
  fi
  existing=()
  for f in "${lists[@]}"; do [ -f "$f" ] && existing+=("$f"); done
  if [ ${#existing[@]} -gt 0 ]; then
    grep -hE '^deb[ \t]+(\[[^]]*\][ \t]+)?[a-z]+://[^ \t]*debian' "${existing[@]}" | sed 's/^deb/deb-src/' >"$extra.list" || true
    [ -s "$extra.list" ] || rm -f "$extra.list"
  fi
  echo "added deb-src entries: $(ls "$extra".* 2>/dev/null | tr '\n' ' ')"
  apt-get update
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# apt downloads as _apt where it can; the directory must be its to avoid an unsandboxed download.
chown _apt "$work" 2>/dev/null || chmod 755 "$work"
(cd "$work" && apt-get source --download-only prometheus)
orig="$(ls "$work"/prometheus_2.42.0+ds.orig.tar.* 2>/dev/null | head -n1)"
if [ -z "$orig" ]; then
  echo "Debian's prometheus source package is not upstream 2.42.0: $(ls "$work")" >&2
  exit 1
fi
mkdir -p "$work/testdata"
tar -xf "$orig" -C "$work/testdata" --wildcards --strip-components=3 'prometheus-2.42.0/promql/testdata/*.test'
if ! verify "$work/testdata"; then
  echo "the extracted testdata does not match $sums" >&2
  (cd "$work/testdata" && sha256sum -c "$sums") >&2 || true
  exit 1
fi
rm -rf "$dest"
mv "$work/testdata" "$dest"
echo "upstream PromQL testdata ($(ls "$dest" | wc -l) files) in $dest"
