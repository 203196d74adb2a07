-- wrk script: one GraphQL query, taken from the QUERY environment variable (no double quotes
-- in it); any HTTP error or GraphQL error stops the run.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"query":"%s"}', os.getenv("QUERY"))

response = function(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    io.stderr:write("bad response: " .. status .. " " .. body .. "\n")
    wrk.thread:stop()
  end
end
