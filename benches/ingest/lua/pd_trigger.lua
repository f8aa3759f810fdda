-- tocsin: POST /v2/enqueue, one PagerDuty Events v2 trigger per request, distinct dedup keys.
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/common.lua")
local routing_key = os.getenv("PD_KEY") or "bench-pd-key"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  local k = key()
  local body = '{"routing_key":"' .. routing_key .. '","event_action":"trigger","dedup_key":"' .. k ..
    '","payload":{"summary":"High error rate on checkout ' .. k ..
    '","source":"bench-host-' .. id .. '","severity":"error"}}'
  return wrk.format(nil, "/v2/enqueue", nil, body)
end
