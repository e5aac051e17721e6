-- spec/26-list_spec.lua - client:send_list, Meta's interactive list:
-- golden payloads, every limit, the command (--row repeated,
-- --section-title, --sections-json) and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to
local function mo(action, extra)
  local interactive = { type = "list", body = { text = "Pick" }, action = action }
  for k, v in pairs(extra or {}) do interactive[k] = v end
  return { messaging_product = "whatsapp", recipient_type = "individual", to = TO, type = "interactive",
    interactive = interactive }
end
local function rows(n, prefix)
  local list = {}
  for i = 1, n do list[i] = { id = (prefix or "r") .. i, title = "Row " .. i } end
  return list
end
local function msg(sections, extra)
  local m = { to = TO, body = "Pick", button = "Menu", sections = sections }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

local eleven = {}
for i = 1, 11 do eleven[i] = { title = "s" .. i, rows = { { id = "s" .. i, title = "S" } } } end

local two = { { title = "Pizza", rows = { { id = "p1", title = string.rep("T", 24), description = string.rep("d", 72) } } },
  { title = "Drinks", rows = rows(9, "d") } }

require("spec.support.op_spec")({
  op = "list",
  goldens = {
    { name = "two sections, 10 rows in all, header and footer", msg = msg(two, { header = "Menu", footer = "F" }),
      mo = mo({ button = "Menu", sections = two }, { header = { type = "text", text = "Menu" }, footer = { text = "F" } }) },
    { name = "one untitled section", msg = msg { { rows = rows(1) } },
      mo = mo { button = "Menu", sections = { { rows = rows(1) } } } },
  },
  invalid = {
    { msg = { body = "b", button = "M", sections = { { rows = rows(1) } } }, field = "to" },
    { msg = { to = TO, button = "M", sections = { { rows = rows(1) } } }, field = "body" },
    { msg = { to = TO, body = "b", sections = { { rows = rows(1) } } }, field = "button" },
    { msg = msg({ { rows = rows(1) } }, { button = string.rep("b", 21) }), field = "button" },
    { msg = msg({ { rows = rows(1) } }, { header = string.rep("h", 61) }), field = "header" },
    { msg = msg({ { rows = rows(1) } }, { header = { type = "image" } }), field = "header" },
    { msg = msg({ { rows = rows(1) } }, { body = string.rep("b", 4097) }), field = "body" },
    { msg = { to = TO, body = "b", button = "M" }, field = "sections" },
    { msg = msg {}, field = "sections" },
    { msg = msg(eleven), field = "sections" },
    { msg = msg { { rows = {} } }, field = "sections[1].rows" },
    { msg = msg { { rows = rows(11) } }, field = "sections" },
    { msg = msg { { title = "A", rows = rows(6, "a") }, { title = "B", rows = rows(5, "b") } }, field = "sections" },
    { msg = msg { { rows = rows(1, "a") }, { title = "B", rows = rows(1, "b") } }, field = "sections[1].title" },
    { msg = msg { { title = string.rep("t", 25), rows = rows(1) } }, field = "sections[1].title" },
    { msg = msg { { rows = { { id = "a", title = string.rep("t", 25) } } } }, field = "sections[1].rows[1].title" },
    { msg = msg { { rows = { { id = "a" } } } }, field = "sections[1].rows[1].title" },
    { msg = msg { { rows = { { id = "a", title = "A", description = string.rep("d", 73) } } } },
      field = "sections[1].rows[1].description" },
    { msg = msg { { rows = { { id = string.rep("i", 201), title = "A" } } } }, field = "sections[1].rows[1].id" },
    { msg = msg { { rows = { { title = "A" } } } }, field = "sections[1].rows[1].id" },
    { msg = msg { { rows = { { id = "a", title = "A" }, { id = "a", title = "B" } } } }, field = "sections[1].rows[2].id" },
    { msg = msg { { rows = { { id = "a", title = "A", payload = "x" } } } }, field = "sections[1].rows[1]" },
    { msg = msg { { rows = rows(1), footer = "x" } }, field = "sections[1]" },
  },
  cli = {
    { name = "TO --body --button --row (repeated) --section-title",
      args = { TO, "--body", "Pick", "--button", "Menu", "--section-title", "Today", "--row", "id=a,title=A",
        "--row", "id=b,title=B,description=Second" },
      mo = mo { button = "Menu", sections = { { title = "Today", rows = { { id = "a", title = "A" },
        { id = "b", title = "B", description = "Second" } } } } } },
    { name = "--sections-json", args = { TO, "--body", "Pick", "--button", "Menu", "--sections-json",
        '[{"rows":[{"id":"a","title":"A"}]}]' },
      mo = mo { button = "Menu", sections = { { rows = { { id = "a", title = "A" } } } } } },
  },
  cli_invalid = {
    { args = { TO, "--body", "b", "--button", "M" }, field = "sections" },
    { args = { TO, "--body", "b", "--button", "M", "--row", "id=a" }, field = "sections[1].rows[1].title" },
  },
  bulk = { msg = msg { { rows = rows(2) } }, mo = mo { button = "Menu", sections = { { rows = rows(2) } } } },
}, _ENV)
