-- A mix of /api/v1/scores queries for wrk (Benchmarks/results.md, the studio): filters, sorts, a page, a search.
local paths = {"/api/v1/scores?limit=100", "/api/v1/scores?limit=100&band=red&sort=-arr", "/api/v1/scores?limit=50&offset=500&sort=change",
               "/api/v1/scores?limit=100&search=A00012", "/api/v1/scores?limit=100&am=am_04&sort=-score"}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
