-- wrk script for bench/confirm_load.sh: sends the pre-generated requests of the file $REQUESTS,
-- one line each: PATH <tab> AUTHORIZATION (may be empty) <tab> JSON BODY, as POSTs. Each wrk
-- thread takes every Nth line (N = threads of this process x $SLICES processes), so two wrk
-- processes against two instances never send the same confirm. A thread that reaches the end
-- of its share starts again from its first line (those are then replays, not new purchases):
-- done() says how often that happened, so a too-short file is seen, not hidden.
-- Without $REQUESTS it sends wrk's own request (GET of the URL: /healthz).
-- $DELAY_MS > 0: each connection waits that long after an answer before its next request
-- (wrk has no fixed-rate mode; bench/confirm_load.sh uses it to run at about half the max rate).
-- done() prints one line for the script: "BENCH requests=… duration_s=… rps=… p50_ms=…".
local threads = {}
local n_threads = tonumber(os.getenv("WRK_THREADS") or "2")
local slice = tonumber(os.getenv("SLICE") or "0")    -- this process: 0 .. SLICES-1
local slices = tonumber(os.getenv("SLICES") or "1")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local requests = {}
local next_index = 1
wrapped = 0

function init(args)
  local file = os.getenv("REQUESTS")
  if not file or file == "" then return end
  local stride = n_threads * slices
  local mine = slice * n_threads + id  -- 0-based position of this thread's first line
  local n = 0
  for line in io.lines(file) do
    if n % stride == mine then
      local path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {["Content-Type"] = "application/json"}
      if auth ~= "" then headers["Authorization"] = auth end
      requests[#requests + 1] = wrk.format("POST", path, headers, body)
    end
    n = n + 1
  end
  if #requests == 0 then error("no requests for thread " .. id .. " in " .. file) end
end

function request()
  if #requests == 0 then return wrk.format() end
  if next_index > #requests then
    next_index = 1
    wrapped = wrapped + 1
  end
  local r = requests[next_index]
  next_index = next_index + 1
  return r
end

if delay_ms > 0 then
  function delay() return delay_ms end
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do wraps = wraps + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f " ..
    "max_ms=%.2f non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d wrapped=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect, e.read, e.write,
    e.timeout, wraps))
end
