-- wrk script: every request is a new purchase (its own user, paymentKey and orderId), or,
-- with REPLAY=1, the same confirm again (the stored-result path).
local tokens = {}
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  for line in io.lines(os.getenv("TOKENS") or "tokens.txt") do tokens[#tokens + 1] = line end
end

function request()
  counter = counter + 1
  local n = (id or 0) * 1000000 + counter
  local replay = os.getenv("REPLAY") == "1"
  if replay then n = 1 end
  local token = replay and tokens[1] or tokens[(((id or 0) * 100000 + counter) % #tokens) + 1]
  local body = string.format(
    '{"paymentKey":"bench-key-%d","orderId":"bench-order-%d","amount":49000,"courseId":"course-sql","couponCode":null}',
    n, n)
  return wrk.format("POST", "/functions/v1/confirm-payment",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
