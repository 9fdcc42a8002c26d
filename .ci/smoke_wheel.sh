#!/usr/bin/env bash
# The wheel as a user gets it: built from a clean copy of this checkout, installed into a fresh virtual
# environment, and used from a folder outside the checkout, so nothing can come from the repository's folders.
# Checks: the one import name `cloudtwin` (and no top-level emulator/pytest_plugin/contract_tests), the Redis
# command table shipped as package data, `cloudtwin serve` answering health, the pytest plugin's fixtures, and
# the contract suite collected by `--pyargs`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
serve_pid=""
cleanup() {
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A copy without build/ or *.egg-info: setuptools reuses build/lib, where a deleted module would linger.
mkdir "$work/src"
tar -C "$repo" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=__pycache__ -cf - . | tar -C "$work/src" -xf -
"$python" -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
wheel=("$work"/dist/cloudtwin-*.whl)
echo "smoke: built ${wheel[0]##*/}"

"$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
"$venv_python" -m pip install -q "${wheel[0]}" 'pytest>=8.0'

mkdir "$work/project"
cd "$work/project"

"$venv_python" - <<'EOF'
import importlib.resources
import importlib.util

import cloudtwin
import cloudtwin.contract_tests.plugin
import cloudtwin.pytest_plugin.plugin

assert "site-packages" in cloudtwin.__file__, cloudtwin.__file__
strays = [name for name in ("emulator", "pytest_plugin", "contract_tests") if importlib.util.find_spec(name)]
assert not strays, f"top-level packages installed besides cloudtwin: {strays}"
table = importlib.resources.files("cloudtwin.redis.commands") / "command_table_7.0.json"
assert table.is_file(), "the Redis command table is missing from the wheel"
print(f"smoke: import cloudtwin {cloudtwin.__version__} from {cloudtwin.__file__}")
EOF

"$work/venv/bin/cloudtwin" serve --aws-port 0 --redis-port 0 --kafka off >"$work/serve.log" 2>&1 &
serve_pid=$!
endpoint=""
for _ in $(seq 150); do
    endpoint="$(sed -n 's#^cloudtwin: AWS endpoint .* on \(http://[^ ]*\)$#\1#p' "$work/serve.log")"
    if [ -n "$endpoint" ] && grep -q "cloudtwin: ready" "$work/serve.log"; then break; fi
    if ! kill -0 "$serve_pid" 2>/dev/null; then break; fi
    sleep 0.2
done
if [ -z "$endpoint" ]; then
    echo "smoke: cloudtwin serve did not come up:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi
"$venv_python" - "$endpoint" <<'EOF'
import json
import sys
import urllib.request

with urllib.request.urlopen(f"{sys.argv[1]}/_cloudtwin/health", timeout=10) as response:
    health = json.load(response)
services = health["services"]
assert health["status"] == "up" and services["aws"]["up"] and services["redis"]["up"], health
print(f"smoke: cloudtwin serve answers health at {sys.argv[1]}")
EOF
kill -TERM "$serve_pid"
wait "$serve_pid"
serve_pid=""
grep -q "cloudtwin: shutting down" "$work/serve.log"

cat >test_smoke.py <<'EOF'
def test_queue_and_cache(sqs_client, sqs_queue, redis_client):
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="hello")
    assert sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]["Body"] == "hello"
    redis_client.set("greeting", "hello")
    assert redis_client.get("greeting") == b"hello"
EOF
"$venv_python" -m pytest -q -p no:cacheprovider test_smoke.py

# The contract suite ships in the wheel; running it needs cloudtwin[contract], collecting it shows it is there.
"$venv_python" -m pip install -q 'hypothesis>=6.100'
collected="$("$venv_python" -m pytest -q -p no:cacheprovider --collect-only --pyargs cloudtwin.contract_tests | tail -1)"
echo "smoke: --pyargs cloudtwin.contract_tests: $collected"
case "$collected" in
    *" tests collected"*) ;;
    *) echo "smoke: the contract suite was not collected" >&2; exit 1 ;;
esac
echo "smoke: the wheel works"
