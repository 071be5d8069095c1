-- wrk script: POST the same issuance request (CSR in JSON) again and again; every request
-- is a new certificate with a new serial. Counts responses that are not 201.
local body_file = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

local failures = 0
function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if failures < 3 then print("unexpected status " .. status .. ": " .. body) end
  end
end

function done(summary, latency, requests)
  io.write(string.format("non-201 responses: %d\n", summary.errors.status))
end
