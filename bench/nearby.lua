-- wrk script: nearbyFacilities(limit: 20, radiusMeters: 1000) at random points over the demo
-- district (fixed seed, so every run asks the same sequence of points). With
-- PEER=postgraphile, the same question and fields through PostGraphile's SQL function
-- (bench/postgraphile/schema.sql), so both servers are asked exactly the same points.
math.randomseed(20261126)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local query = "query($p: PointInput!) { nearbyFacilities(near: $p, radiusMeters: 1000, limit: 20) "
  .. "{ distanceMeters travelMinutes facility { id name kind location { lon lat } } } }"
local variables = '{"p":{"lon":%.6f,"lat":%.6f}}'
if os.getenv("PEER") == "postgraphile" then
  query = "query($lon: Float!, $lat: Float!) { nearbyFacilitiesList(lon: $lon, lat: $lat, radiusMeters: 1000, maxHits: 20) "
    .. "{ distanceMeters travelMinutes facilityId name kind lon lat } }"
  variables = '{"lon":%.6f,"lat":%.6f}'
end

-- UNIQUE_DOCUMENTS=1: each request's document ends in a different comment, so none is found in
-- the parsed-document cache (every request parses and validates its document again).
local unique = os.getenv("UNIQUE_DOCUMENTS") == "1"
local sent = 0

request = function()
  sent = sent + 1
  local document = query
  if unique then document = query .. " #" .. sent end
  local lon = 106.22 + math.random() * 0.34
  local lat = 38.33 + math.random() * 0.25
  local body = string.format('{"query":"%s","variables":' .. variables .. '}', document, lon, lat)
  return wrk.format(nil, "/graphql", nil, body)
end

response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    wrk.thread:stop()
    io.stderr:write("bad response: " .. status .. " " .. body .. "\n")
  end
end
