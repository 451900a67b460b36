#!/bin/sh
# Builds bench/build/driver from bench/driver.cpp against the header-only SDK (sdk/include) only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mkdir -p "$here/build"
${CXX:-g++} -O2 -g -std=c++20 -Wall -Wextra -I "$root/sdk/include" \
    "$here/driver.cpp" -o "$here/build/driver" -ldl -lpthread
echo "built $here/build/driver"
