-- tocsin: POST /hooks/<integration>, an Alertmanager webhook v4 notification carrying BATCH
-- firing alerts, each with its own fingerprint (bearer token from AM_TOKEN).
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/common.lua")
local path = os.getenv("HOOK_PATH") or "/hooks/am"
local starts = os.date("!%Y-%m-%dT%H:%M:%SZ")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("AM_TOKEN") or "bench-am-token")

function request()
  local k = key()
  local parts = {}
  for i = 1, batch do
    local fp = k .. "-" .. i
    parts[i] = '{"status":"firing","labels":{"alertname":"BenchAlert","instance":"' .. fp ..
      '","severity":"warning"},"annotations":{"summary":"Bench alert ' .. fp ..
      '"},"startsAt":"' .. starts .. '","endsAt":"0001-01-01T00:00:00Z",' ..
      '"generatorURL":"http://prometheus.local/graph","fingerprint":"' .. fp .. '"}'
  end
  local body = '{"version":"4","groupKey":"{}:{alertname=\\"BenchAlert\\"}","truncatedAlerts":0,' ..
    '"status":"firing","receiver":"tocsin","groupLabels":{"alertname":"BenchAlert"},' ..
    '"commonLabels":{"alertname":"BenchAlert","severity":"warning"},"commonAnnotations":{},' ..
    '"externalURL":"http://alertmanager.local:9093","alerts":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format(nil, path, nil, body)
end
