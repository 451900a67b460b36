#!/usr/bin/env bash
# The product's main job, end to end, on a fresh Debian 12 machine: installs what is needed,
# builds the runtime (flowhost + the SMTP plugin in its plugin folder), starts the sandbox mail
# server, adds a connection, tests it, runs the example flow (two mails and a DynamicConnection
# step) through the real plugin, and shows the mail that arrived.
#
#   ./examples/demo.sh                       (FLOWHOST_DEMO_DATA=DIR to keep the data elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."

./packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
cmake --install build/release --prefix build/runtime >/dev/null
flowhost=build/runtime/bin/flowhost

data=${FLOWHOST_DEMO_DATA:-build/demo-data}
rm -rf "$data"
mkdir -p "$data"
export SANDBOX_PASSWORD=sandbox  # the connection refers to it as env:SANDBOX_PASSWORD

echo "== plugins"
"$flowhost" plugins

echo "== the sandbox mail server"
"$flowhost" --data "$data" sandbox --for 600 >"$data/sandbox.out" 2>"$data/sandbox.log" &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true; wait "$sandbox" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "mail arrives in" "$data/sandbox.out" 2>/dev/null && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$data/sandbox.log"; exit 1; }
  sleep 0.1
done
cat "$data/sandbox.out"
mail_dir=$(sed -n 's/^mail arrives in: //p' "$data/sandbox.out")
ca_file=$(sed -n 's/^CA certificate: //p' "$data/sandbox.out")

echo "== a system connection to it"
"$flowhost" --data "$data" connection add sandbox --scope system \
  --file examples/sandbox.connection.yaml "ca_file=$ca_file"
"$flowhost" --data "$data" connection show sandbox
"$flowhost" --data "$data" connection test sandbox

echo "== the example flow"
"$flowhost" --data "$data" run examples/welcome.flow.yaml

echo "== the mail that arrived in $mail_dir"
for eml in "$mail_dir"/*.eml; do
  echo "--- $eml"
  cat "${eml%.eml}.json"; echo   # envelope, TLS, who authenticated
  sed -n '1,/^\r\?$/p' "$eml"
done
