#!/usr/bin/env bash
# A short tour with curl: a customer, a complaint about a double charge and its
# handling from receipt to closing, with the two refusals the policy makes on the way.
#
# It starts a server of its own: a fresh SQLite store in a temporary directory, on
# a free port (TOUR_PORT to choose one), so it never meets `make run` on :8000. It
# checks the status of every answer, stops its server at the end and ends non-zero
# if any answer differed: CI runs it. It needs curl, python3 and opsledger on PATH
# (`. .venv/bin/activate` after `make install` or `make run`), or OPSLEDGER=/path/to/opsledger.

OPSLEDGER=${OPSLEDGER:-opsledger}
DATA=$(mktemp -d)
PORT=${TOUR_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
API=http://127.0.0.1:$PORT
failed=0

# opsledger on the tour's own store, whatever OPSLEDGER_* this shell has set.
ops() { OPSLEDGER_DATA_DIR="$DATA" OPSLEDGER_DATABASE_URL= "$OPSLEDGER" "$@"; }

# send STATUS LABEL CURL-ARGS...: print the answer's status, count it if not STATUS.
send() {
  expected=$1 label=$2
  shift 2
  : >"$DATA/answer"
  got=$(curl -s -o "$DATA/answer" -w '%{http_code}' "$@")
  if [ "$got" = "$expected" ]; then echo "$got $label"; else
    echo "$got $label    <- expected $expected"
    failed=$((failed + 1))
  fi
}
# py CODE: run python on the last answer, parsed as `a`.
py() { python3 -c "import json, sys; a = json.load(open(sys.argv[1]))
$1" "$DATA/answer"; }
# post STATUS PATH TOKEN BODY [CURL-ARGS...]: a command; prints its answer.
post() {
  expected=$1 path=$2 token=$3 body=$4
  shift 4
  send "$expected" "POST $path" -X POST "$API$path" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$body" "$@"
  echo "    $(cat "$DATA/answer")"
}
# get STATUS PATH TOKEN: a read; `py` shows what matters of it.
get() { send "$1" "GET $2" "$API$2" -H "Authorization: Bearer $3"; }

command -v "$OPSLEDGER" >/dev/null || echo "no $OPSLEDGER here: . .venv/bin/activate, or set OPSLEDGER"
CS=$(ops token create --name lin --role customer_service)
CS2=$(ops token create --name chen --role customer_service)
MKT=$(ops token create --name mei --role marketing)

# Not through `ops`: $! must be the server itself, for `kill` to stop it.
OPSLEDGER_DATA_DIR="$DATA" OPSLEDGER_DATABASE_URL= "$OPSLEDGER" serve --port "$PORT" \
  >"$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null' EXIT
for _ in $(seq 60); do # up to 30 s until it answers
  curl -sf "$API/health" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || break # it stopped: see its log below
  sleep 0.5
done
get 200 /health none
[ "$got" = 200 ] || cat "$DATA/serve.log"

# A customer, then a complaint about a double charge (safe to retry: Idempotency-Key).
post 201 /customers "$MKT" '{"name": "王芳", "email": "wang.fang@example.cn", "channel": "search"}'
CUSTOMER=$(py 'print(a.get("id"))')
post 201 /complaints "$CS" "{\"customer_id\": \"$CUSTOMER\", \"channel\": \"phone\",
  \"category\": \"billing\", \"description\": \"Charged twice for order 8812\"}" \
  -H 'Idempotency-Key: call-2291'
C=$(py 'print(a.get("id"))')

post 200 "/complaints/$C/acknowledge" "$CS" '{"message": "We are on it"}'
post 200 "/complaints/$C/assess" "$CS" '{"severity": 2, "department": "finance", "assignee": "zhou"}'
post 409 "/complaints/$C/close" "$CS" '{}' # complaint-not-responded
post 200 "/complaints/$C/propose-resolution" "$CS" \
  '{"root_cause": "system_failure", "plan": "Refund the duplicate", "compensation": "50.00"}'
post 403 "/complaints/$C/approve-resolution" "$CS" '{}' # four-eyes-violation: lin proposed it
post 200 "/complaints/$C/approve-resolution" "$CS2" '{}'
post 200 "/complaints/$C/respond" "$CS" '{"message": "Refunded, with 50 CNY for the trouble"}'
post 200 "/complaints/$C/customer-decision" "$CS" '{"accepted": true}'
post 200 "/complaints/$C/close" "$CS" '{"note": "Customer confirmed the refund arrived"}'

# The complaint now, its history with who did what, and as it stood at version 3.
get 200 "/complaints/$C" "$CS"
py 'print("    status:", a["status"])'
get 200 "/complaints/$C/events" "$CS"
py 'for e in a["events"]: print("   ", e["version"], e["type"], e["metadata"]["principal"])'
get 200 "/complaints/$C?version=3" "$CS"
py 'print("    status at version 3:", a["status"])'

kill "$SERVER"
wait "$SERVER" 2>/dev/null
if [ "$failed" = 0 ]; then
  echo "tour: every answer as expected"
  rm -rf "$DATA"
else echo "tour: $failed answer(s) not as expected; the server's log: $DATA/serve.log"; fi
[ "$failed" = 0 ]
