#!/bin/sh
# The public bulletin page against /healthz on the same run: `campaign serve --workers 2` and wrk,
# each request from a different client address (X-Forwarded-For, which `campaign serve` trusts
# from 127.0.0.1) as phones scanning a poster would be, so the rate limit counts but never bites.
#
#   DATABASE_URL=... CAMPAIGN_VAR=... sh benchmarks/reports_public_wrk.sh [port] [seconds]
#
# Run it against a database holding a published bulletin (reports_scenarios.py leaves one).
set -eu
PORT=${1:-8350}
DURATION=${2:-15}
LUA=$(mktemp)
cat > "$LUA" <<'LUA'
request = function()
  local ip = math.random(1, 223) .. "." .. math.random(0, 255) .. "." .. math.random(0, 255)
    .. "." .. math.random(1, 254)
  return wrk.format("GET", nil, {["X-Forwarded-For"] = ip})
end
LUA
.venv/bin/campaign serve --workers 2 --port "$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER; rm -f "$LUA"' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.5; done
curl -sf "http://127.0.0.1:$PORT/public/bulletin" | grep -q data-public-week || echo "no published bulletin"
for path in /healthz /public/bulletin /healthz /public/bulletin; do
  printf '%-18s' "$path"
  wrk -t2 -c32 -d"${DURATION}s" -s "$LUA" "http://127.0.0.1:$PORT$path" \
    | awk '/Requests\/sec/ {printf "%s req/s", $2} /Non-2xx/ {printf "  non-2xx %s", $NF} END {print ""}'
done
echo "load average: $(cat /proc/loadavg)"
