-- tocsin: GET /ping/<key>, cycling over PING_KEYS heartbeat keys (hb-0 .. hb-N-1).
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/common.lua")
local nkeys = tonumber(os.getenv("PING_KEYS") or "16")
wrk.method = "GET"

function request()
  counter = counter + 1
  return wrk.format(nil, "/ping/hb-" .. ((id * 7 + counter) % nkeys), nil, nil)
end
