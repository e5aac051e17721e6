-- luacheck settings for `make lint` (Debian's lua-check): Lua 5.4 unless
-- a file runs elsewhere, lines up to 120 columns.
std = "lua54"
max_line_length = 120
-- `not (x > 0)` is how NaN is refused along with the rest: keep it
ignore = { "581" }

-- build output and the tree `luarocks make` leaves behind
exclude_files = { "build/**", "kaleyra/**" }

-- busted's globals; data tables in specs may run longer
files["spec"] = { std = "+busted", max_line_length = 150 }

-- the stand-in runs inside nginx's Lua module (LuaJIT, global ngx); its
-- answer bodies are copied verbatim from the API documents
files["sandbox/standin.lua"] = { std = "luajit", globals = { "ngx" }, max_line_length = false }
files["sandbox/standin_shape.lua"] = { std = "luajit" }
files["sandbox/standin_account.lua"] = { std = "luajit" }
files["sandbox/standin_callback.lua"] = { std = "luajit", globals = { "ngx" } }
files["sandbox/receiver_app.lua"] = { std = "luajit", globals = { "ngx" } }
files["sandbox/standin_flows.lua"] = { std = "luajit", read_globals = { "ngx" } }
-- sh and Lua at once: Lua reads the sh part as a long string assigned to _
files["sandbox/sandbox"] = { globals = { "_" }, max_line_length = false }

-- the library detects nginx's Lua module (OpenResty) through the global ngx
files["lua/kaleyra/whatsapp.lua"] = { read_globals = { "ngx" } }
files["lua/kaleyra/whatsapp/ngx.lua"] = { read_globals = { "ngx" } }
files["lua/kaleyra/whatsapp/transport.lua"] = { read_globals = { "ngx" } }
files["lua/kaleyra/whatsapp/receiver.lua"] = { std = "luajit", globals = { "ngx" } }
-- code that runs inside OpenResty itself (LuaJIT, global ngx)
files["spec/support/openresty_app.lua"] = { std = "luajit", globals = { "ngx" } }
files["examples/openresty"] = { std = "luajit", globals = { "ngx" } }
