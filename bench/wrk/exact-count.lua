-- Exact response counting for bench/lost-capture. wrk's summary counts the
-- responses it read completely. After SEND_SECONDS every connection sends a
-- head that never ends (GET /hold), so no answer is in flight when wrk stops:
-- wrk has read every answer the engine wrote, and the engine records each
-- held head as cut off. (A response() callback would count the same but
-- costs wrk most of its speed.)
-- Arguments: depth (requests per write, 1 = plain keep-alive), send seconds.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local depth = tonumber(args[1]) or 1
  local seconds = tonumber(args[2]) or 3
  local parts = {}
  for i = 1, depth do
    parts[i] = wrk.format("GET", "/counted")
  end
  batch = table.concat(parts)
  hold = "GET /hold HTTP/1.1\r\nHost: hold\r\n"
  stop_at = os.time() + seconds
  holds = 0
end

function request()
  if os.time() >= stop_at then
    holds = holds + 1
    return hold
  end
  return batch
end

function done(summary, latency, requests)
  local held = 0
  for _, t in ipairs(threads) do
    held = held + t:get("holds")
  end
  io.write(string.format("exact-count responses=%d holds=%d\n", summary.requests, held))
end
