-- Alertmanager: POST /api/v2/alerts, an array of BATCH alerts, each with distinct labels (so a
-- distinct fingerprint). BATCH=1 is the single-alert case.
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/common.lua")
local starts = os.date("!%Y-%m-%dT%H:%M:%SZ")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  local k = key()
  local parts = {}
  for i = 1, batch do
    local fp = k .. "-" .. i
    parts[i] = '{"labels":{"alertname":"BenchAlert","instance":"' .. fp ..
      '","severity":"warning"},"annotations":{"summary":"Bench alert ' .. fp ..
      '"},"startsAt":"' .. starts .. '","generatorURL":"http://prometheus.local/graph"}'
  end
  return wrk.format(nil, "/api/v2/alerts", nil, "[" .. table.concat(parts, ",") .. "]")
end
