-- wrk script: bench/nearby.lua's question through PostGraphile (bench/postgraphile/schema.sql):
-- the same random points (same seed), radius 1000 m, 20 hits, the same fields.
math.randomseed(20261126)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local query = "query($lon: Float!, $lat: Float!) { nearbyFacilitiesList(lon: $lon, lat: $lat, radiusMeters: 1000, maxHits: 20) "
  .. "{ distanceMeters travelMinutes facilityId name kind lon lat } }"

request = function()
  local lon = 106.22 + math.random() * 0.34
  local lat = 38.33 + math.random() * 0.25
  local body = string.format('{"query":"%s","variables":{"lon":%.6f,"lat":%.6f}}', query, lon, lat)
  return wrk.format(nil, "/graphql", nil, body)
end

response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    wrk.thread:stop()
    io.stderr:write("bad response: " .. status .. " " .. body .. "\n")
  end
end
