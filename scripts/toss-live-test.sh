#!/usr/bin/env bash
# make test-toss-live: black-box checks of what payedge relies on, against the real Toss API
# (https://api.tosspayments.com) with a test secret key. Not part of `make test`.
#   TOSS_TEST_SECRET_KEY   a test_sk_ (or test_gsk_) key; without it nothing runs (exit 0)
#   TOSS_TEST_PAYMENT_KEY, TOSS_TEST_ORDER_ID, TOSS_TEST_AMOUNT   optional: a payment session
#       made through Toss's test payment window (successUrl's query); then confirm → GET →
#       cancel run on it as well.
# Exit 0 when every check passed or nothing could run (no key, no network); 1 on a failure.
set -u

API="${TOSS_API_URL:-https://api.tosspayments.com}"
KEY="${TOSS_TEST_SECRET_KEY:-}"
if [[ -z "$KEY" ]]; then
  echo "test-toss-live: TOSS_TEST_SECRET_KEY is not set; ran nothing."
  exit 0
fi
case "$KEY" in
  test_sk_* | test_gsk_*) ;;
  *)
    echo "test-toss-live: TOSS_TEST_SECRET_KEY must be a test key (test_sk_… or test_gsk_…); refusing to run with anything else." >&2
    exit 1
    ;;
esac
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "test-toss-live: $tool is missing; ran nothing."; exit 0; }
done
if ! curl -sS -o /dev/null --max-time 10 "$API/v1/payments/probe" 2>/dev/null; then
  echo "test-toss-live: $API is not reachable from here; ran nothing."
  exit 0
fi

AUTH="Basic $(printf '%s:' "$KEY" | base64 | tr -d '\n')"
BAD_AUTH="Basic $(printf '%s:' 'test_sk_payedge_not_a_key_0000' | base64 | tr -d '\n')"
RUN="payedge-live-$(date +%s)-$$"
FAILED=0
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# call METHOD PATH AUTH [JSON] [extra curl args…]: sets STATUS, body in $BODY
call() {
  local method=$1 path=$2 auth=$3 data=${4:-}
  shift 4 2>/dev/null || shift $#
  local args=(-sS -o "$BODY" -w '%{http_code}' --max-time 30 -X "$method" -H "Authorization: $auth")
  [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data "$data")
  STATUS=$(curl "${args[@]}" "$@" "$API$path") || STATUS=000
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2]) if isinstance(d, dict) else "")' "$BODY" "$1" 2>/dev/null; }
check() {  # check NAME EXPECTED_STATUS EXPECTED_CODE
  local code
  code=$(field code)
  if [[ "$STATUS" == "$2" && ( -z "$3" || "$code" == "$3" ) ]]; then
    echo "ok    $1 ($STATUS ${code:-})"
  else
    echo "FAIL  $1: expected $2 ${3:-}, got $STATUS ${code:-} $(head -c 300 "$BODY")"
    FAILED=1
  fi
}

confirm_body() { printf '{"paymentKey":"%s","orderId":"%s","amount":%s}' "$1" "$2" "$3"; }

call GET "/v1/payments/$RUN-unknown" "$AUTH"
check "GET an unknown payment" 404 NOT_FOUND_PAYMENT
call GET "/v1/payments/$RUN-unknown" "$BAD_AUTH"
check "a wrong secret key is UNAUTHORIZED_KEY (merchant)" 401 UNAUTHORIZED_KEY
call POST /v1/payments/confirm "$AUTH" "$(confirm_body "$RUN-nosession" "$RUN-order" 1000)" \
  -H "Idempotency-Key: $RUN-confirm-1"
check "confirm without a session" 404 NOT_FOUND_PAYMENT_SESSION
FIRST=$(cat "$BODY")
call POST /v1/payments/confirm "$AUTH" "$(confirm_body "$RUN-nosession" "$RUN-order" 1000)" \
  -H "Idempotency-Key: $RUN-confirm-1"
if [[ "$(cat "$BODY")" == "$FIRST" ]]; then echo "ok    a repeated Idempotency-Key answers the first answer"; else echo "FAIL  idempotent replay differs"; FAILED=1; fi
call POST "/v1/payments/$RUN-unknown/cancel" "$AUTH" '{"cancelReason":"payedge live check"}' \
  -H "Idempotency-Key: $RUN-cancel-1"
check "cancel an unknown payment" 404 NOT_FOUND_PAYMENT

# TossPayments-Test-Code (test keys only): each forced code with the status payedge expects.
for pair in PROVIDER_ERROR:400 REJECT_CARD_PAYMENT:403 UNAUTHORIZED_KEY:401 \
  FAILED_INTERNAL_SYSTEM_PROCESSING:500 NOT_FOUND_PAYMENT_SESSION:404; do
  code=${pair%%:*} status=${pair##*:}
  call POST /v1/payments/confirm "$AUTH" "$(confirm_body "$RUN-tc-$code" "$RUN-tc-order" 1000)" \
    -H "TossPayments-Test-Code: $code"
  check "TossPayments-Test-Code $code" "$status" "$code"
done

if [[ -n "${TOSS_TEST_PAYMENT_KEY:-}" && -n "${TOSS_TEST_ORDER_ID:-}" && -n "${TOSS_TEST_AMOUNT:-}" ]]; then
  PK=$TOSS_TEST_PAYMENT_KEY
  call POST /v1/payments/confirm "$AUTH" "$(confirm_body "$PK" "$TOSS_TEST_ORDER_ID" "$TOSS_TEST_AMOUNT")" \
    -H "Idempotency-Key: $RUN-real-1"
  check "confirm a test payment" 200 ""
  status=$(field status)
  [[ "$status" == DONE || "$status" == WAITING_FOR_DEPOSIT ]] || { echo "FAIL  confirm status $status"; FAILED=1; }
  for f in version paymentKey type orderId orderName mId currency method totalAmount balanceAmount suppliedAmount vat status requestedAt; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sys.argv[2] in d else 1)' "$BODY" "$f" ||
      { echo "FAIL  Payment object lacks $f"; FAILED=1; }
  done
  call GET "/v1/payments/$PK" "$AUTH"
  check "GET the confirmed payment" 200 ""
  call POST "/v1/payments/$PK/cancel" "$AUTH" '{"cancelReason":"payedge live check"}' \
    -H "Idempotency-Key: $RUN-real-cancel"
  check "cancel the test payment" 200 ""
  [[ "$(field status)" == CANCELED ]] || { echo "FAIL  cancel status $(field status)"; FAILED=1; }
else
  echo "skip  confirm/GET/cancel of a real test payment (set TOSS_TEST_PAYMENT_KEY, TOSS_TEST_ORDER_ID, TOSS_TEST_AMOUNT from Toss's test payment window)"
fi

[[ $FAILED == 0 ]] && echo "test-toss-live: all checks passed" || echo "test-toss-live: FAILED"
exit $FAILED
