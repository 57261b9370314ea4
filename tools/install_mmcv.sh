#!/usr/bin/env bash
# Install mmcv 2.1.0 (with its CPU ops) into the venv given as $1.
# mmcv publishes no wheel for torch 2.14, so, in order:
#   1. a wheel from $GHOST_MM_WHEEL_DIR (CI points it at ../shared/wheels),
#   2. a wheel cached by an earlier build ($GHOST_MM_CACHE, ~/.cache/ghost_mm),
#   3. a build from the PyPI sdist (~35 min on 2 cores), cached for next time.
set -euo pipefail
VENV=${1:?usage: install_mmcv.sh VENV}
PY="$VENV/bin/python"
VERSION=2.1.0
CACHE=${GHOST_MM_CACHE:-$HOME/.cache/ghost_mm}/wheels
PATTERN="mmcv-$VERSION-cp*-linux_x86_64.whl"

if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$VERSION')" 2>/dev/null; then
    echo "mmcv $VERSION already installed"; exit 0
fi
pytag=$("$PY" -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
for dir in ${GHOST_MM_WHEEL_DIR:-} "$CACHE"; do
    [ -d "$dir" ] || continue
    wheel=$(ls "$dir"/mmcv-$VERSION-$pytag-*.whl 2>/dev/null | head -n 1 || true)
    if [ -n "$wheel" ]; then
        echo "installing mmcv from $wheel"
        "$VENV/bin/pip" install --no-deps "$wheel"
        exit 0
    fi
done

echo "no prebuilt mmcv $VERSION wheel found (set GHOST_MM_WHEEL_DIR to a folder holding one);"
echo "building it from source: this takes about 35 minutes on 2 cores, once."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$VENV/bin/pip" download --no-deps --no-binary :all: -d "$work" "mmcv==$VERSION"
tar -xzf "$work"/mmcv-$VERSION.tar.gz -C "$work"
# torch >= 2.10 headers need C++20; mmcv 2.1.0 asks for C++14/17.
sed -i -E 's/-std=c\+\+1[47]/-std=c++20/g' "$work/mmcv-$VERSION/setup.py"
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    "$VENV/bin/pip" wheel --no-deps --no-build-isolation -w "$work/dist" "$work/mmcv-$VERSION"
mkdir -p "$CACHE"
cp "$work"/dist/mmcv-$VERSION-*.whl "$CACHE/"
"$VENV/bin/pip" install --no-deps "$work"/dist/mmcv-$VERSION-*.whl
