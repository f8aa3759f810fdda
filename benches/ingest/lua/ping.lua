-- tocsin: GET /ping/<key>, cycling over PING_KEYS heartbeat keys (bench-heartbeat-key-0 .. -N-1; tocsin refuses keys under 16 characters).
dofile((os.getenv("BENCH_LUA_DIR") or "lua") .. "/common.lua")
local nkeys = tonumber(os.getenv("PING_KEYS") or "16")
wrk.method = "GET"

function request()
  counter = counter + 1
  return wrk.format(nil, "/ping/bench-heartbeat-key-" .. ((id * 7 + counter) % nkeys), nil, nil)
end
