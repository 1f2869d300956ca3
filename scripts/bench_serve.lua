-- wrk script for scripts/bench-serve: POST /search with rotating queries; prints one
-- RESULT line (req/s, p50, p95, p99 in ms, errors) for the shell script to collect.
local queries = {
  "colour management of printed output", "how are fonts embedded", "page layout and margins",
  "transparency groups and blending", "compression of images", "encryption of documents",
  "annotations and forms", "metadata of the file", "text extraction from pages",
  "rendering at high resolution",
}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  local body = '{"query":"' .. q .. '","k":10}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.1f %.1f %.1f %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors))
end
