#!/usr/bin/env bash
# Installs Keystead's C library: header, shared and static libraries, pkg-config file.
# Run from the repository root: bash bindings/c/install.sh [PREFIX]   (default /usr/local;
# DESTDIR is honoured). Intended as the body of a `make install PREFIX=...` target.
set -euo pipefail

PREFIX=${1:-${PREFIX:-/usr/local}}
DESTDIR=${DESTDIR:-}
CARGO=${CARGO:-cargo}
VERSION=$(sed -n 's/^#define KEYSTEAD_VERSION "\(.*\)"$/\1/p' include/keystead.h)
TARGET_DIR=$("$CARGO" metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

"$CARGO" build -p keystead-ffi --release --quiet
LIBDIR="$DESTDIR$PREFIX/lib"
install -d "$DESTDIR$PREFIX/include" "$LIBDIR/pkgconfig"
install -m 0644 include/keystead.h "$DESTDIR$PREFIX/include/keystead.h"
install -m 0755 "$TARGET_DIR/release/libkeystead.so" "$LIBDIR/libkeystead.so.$VERSION"
ln -sf "libkeystead.so.$VERSION" "$LIBDIR/libkeystead.so"
install -m 0644 "$TARGET_DIR/release/libkeystead.a" "$LIBDIR/libkeystead.a"
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@VERSION@|$VERSION|g" bindings/c/keystead.pc.in >"$LIBDIR/pkgconfig/keystead.pc"
echo "installed Keystead $VERSION under $DESTDIR$PREFIX (pkg-config: keystead)"
