-- wrk script: the trivial query, the baseline for every API benchmark.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ __typename }"}'
