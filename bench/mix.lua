-- wrk script: the read mix of a public map (issue 5): 70% nearbyFacilities, 20%
-- reachableFacilities, 10% coverage, at random points over the demo district (fixed seed).
-- With RATE set (requests per second over all connections, CONNECTIONS set too), each
-- connection waits between requests so that the total stays near RATE.
math.randomseed(20261127)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local nearby = "query Nearby($p: PointInput!) { nearbyFacilities(near: $p, radiusMeters: 1000, limit: 20) "
  .. "{ distanceMeters travelMinutes facility { id name kind location { lon lat } } } }"
local reachable = "query Reachable($p: PointInput!) { reachableFacilities(from: $p, minutes: 15) "
  .. "{ travelMinutes model facility { id name kind } } }"
local coverage = "query Coverage { coverage(input: { filter: { categories: [ELDER_CARE] } }) "
  .. "{ elderlyCoverageRatio byCommunity(codeLength: 9) { communityCode elderlyCoverageRatio } } }"

local rate = tonumber(os.getenv("RATE") or "")
-- With CLIENTS set, each request comes from one of that many addresses (X-Forwarded-For, for
-- a server that trusts it), as many users behind one proxy do.
local clients = tonumber(os.getenv("CLIENTS") or "")
local connections = tonumber(os.getenv("CONNECTIONS") or "1")
-- MIX=nearby: only the nearby query, to read its latency apart from the heavier ones.
local nearby_only = os.getenv("MIX") == "nearby"

function delay()
  if rate then return 1000 * connections / rate end
  return 0
end

request = function()
  local roll = math.random()
  local lon = 106.22 + math.random() * 0.34
  local lat = 38.33 + math.random() * 0.25
  local query = coverage
  if nearby_only or roll < 0.7 then query = nearby elseif roll < 0.9 then query = reachable end
  local body = string.format('{"query":"%s","variables":{"p":{"lon":%.6f,"lat":%.6f}}}', query, lon, lat)
  local headers = nil
  if clients then
    local n = math.random(0, clients - 1)
    -- wrk.format uses the table it is given instead of wrk.headers, so both go in.
    headers = {
      ["Content-Type"] = wrk.headers["Content-Type"],
      ["X-Forwarded-For"] = string.format("198.18.%d.%d", math.floor(n / 256), n % 256),
    }
  end
  return wrk.format(nil, "/graphql", headers, body)
end

response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    io.stderr:write("bad response: " .. status .. " " .. body .. "\n")
  end
end
