-- Shared by every bench script (loaded with dofile; BENCH_LUA_DIR names this folder).
--
-- * Unique keys: each wrk thread gets an id in setup(); `counter` counts its requests, so
--   tid + counter is unique across the run (RUN_TAG keeps separate runs apart).
-- * Status accounting: response() counts 2xx, 429 and other statuses per thread; done()
--   sums them over the threads and prints one JSON line (prefixed "BENCH_JSON ") with the
--   totals and wrk's latency percentiles.
-- * Pacing (wrk has no rate limit): when RATE (requests/s, whole run) is set, delay() hands
--   out send slots on a per-thread schedule (clock_gettime through LuaJIT's ffi), so the run
--   offers RATE requests/s as long as enough connections are free. wrk starts its latency
--   clock when the request is written, so the pacing delay is not counted as latency.

local ffi = require("ffi")
pcall(ffi.cdef, [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]])
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

run_tag = os.getenv("RUN_TAG") or "r"
batch = tonumber(os.getenv("BATCH") or "1")

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

counter = 0
n2xx = 0
n429 = 0
nother = 0

function response(status, headers, body)
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
  elseif status == 429 then
    n429 = n429 + 1
  else
    nother = nother + 1
    if nother <= 3 then
      io.stderr:write("non-2xx " .. status .. ": " .. tostring(body):sub(1, 300) .. "\n")
    end
  end
end

local rate = tonumber(os.getenv("RATE") or "0")
if rate > 0 then
  local nthreads = tonumber(os.getenv("THREADS") or "2")
  local interval = 1000.0 * nthreads / rate -- ms between sends, per thread
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now then
      -- never bank unused slots: a stall must not be followed by a burst
      next_slot = now
    end
    local slot = next_slot
    next_slot = next_slot + interval
    return math.floor(slot - now)
  end
end

-- key(): a fresh unique key for this thread.
function key()
  counter = counter + 1
  return run_tag .. "-" .. id .. "-" .. counter
end

function done(summary, latency, requests)
  local t2, t429, tother = 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + (thread:get("n2xx") or 0)
    t429 = t429 + (thread:get("n429") or 0)
    tother = tother + (thread:get("nother") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"n2xx":%d,"n429":%d,"nother":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"err_status":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"batch":%d,"rate":%d}\n',
    summary.requests, summary.duration, t2, t429, tother,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, batch, rate))
end
