-- wrk script: the planner's coverage question over the whole demo district.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ coverage(input: { filter: { categories: [ELDER_CARE] } }) { residentialAreas coveredResidentialAreas elderlyPopulation coveredElderlyPopulation elderlyCoverageRatio byCommunity { communityCode elderlyCoverageRatio } } }"}'

response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    io.stderr:write("bad response: " .. status .. " " .. body .. "\n")
    wrk.thread:stop()
  end
end
