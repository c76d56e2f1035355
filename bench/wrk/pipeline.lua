-- Pipelining for `npm run bench`: every round trip sends DEPTH GET requests
-- back to back in one write; wrk then waits for DEPTH responses before the
-- next round trip and counts each response as one request.
-- Optional script argument: the depth, e.g. `wrk ... -s pipeline.lua -- 8`.

local DEFAULT_DEPTH = 16
local batch

function init(args)
  local depth = tonumber(args[1]) or DEFAULT_DEPTH
  local parts = {}
  for i = 1, depth do
    -- wrk.format uses the URL's path and wrk.headers (Host included).
    parts[i] = wrk.format("GET", "/")
  end
  batch = table.concat(parts)
end

function request()
  return batch
end
