-- wrk script: POST one complete, valid support request per call, each from a different contact,
-- so every request creates a case (no merges). Counts answers by status.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  created, other = 0, 0
end

request = function()
  counter = counter + 1
  local n = id * 10000000 + counter
  local body = string.format(
    '{"category":"payments","subcategory":"refund","email":"bench%d@gmail.com",' ..
    '"phone":"+39 34%d %07d","device":"iPhone 14, iOS 17.1",' ..
    '"description":"Ho pagato 12 euro ieri sera ma il pagamento risulta fallito e non vedo il rimborso.",' ..
    '"transaction_id":"WA123456789","amount":"12,00 EUR"}', n, id % 10, counter)
  return wrk.format("POST", "/api/v1/requests", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

done = function(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("created=%d other=%d\n", c, o))
end
