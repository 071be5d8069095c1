-- wrk script: POST one OCSP request (DER, from REQ_FILE) again and again.
local f = assert(io.open(os.getenv("REQ_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
