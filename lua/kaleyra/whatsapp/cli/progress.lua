--- The progress bar of `kaleyra-wa bulk` on stderr: done/total, percent,
-- rate and ETA, redrawn in place with "\r". Shown only when stderr is a
-- terminal, or when KALEYRA_WA_PROGRESS=1 (KALEYRA_WA_PROGRESS=0 hides it).
--
-- Caveat: the clock is /proc/uptime (1/100 s) where it exists, else
-- os.time() (whole seconds), since plain Lua has no sub-second wall clock.
-- @module kaleyra.whatsapp.cli.progress

local M = {}

local function clock()
  local f = io.open("/proc/uptime", "r")
  if f then
    local t = f:read("n")
    f:close()
    if t then return t end
  end
  return os.time()
end

--- Whether to draw: the override in KALEYRA_WA_PROGRESS, else whether
-- stderr is a terminal (asked once, with test -t 2).
function M.wanted(disabled)
  if disabled then return false end
  local env = os.getenv("KALEYRA_WA_PROGRESS")
  if env == "1" then return true end
  if env == "0" then return false end
  return os.execute("test -t 2") == true
end

local Bar = {}
Bar.__index = Bar

local function hms(seconds)
  seconds = math.floor(seconds + 0.5)
  if seconds >= 3600 then
    return ("%d:%02d:%02d"):format(seconds // 3600, seconds % 3600 // 60, seconds % 60)
  end
  return ("%d:%02d"):format(seconds // 60, seconds % 60)
end

--- A bar over `total` items (nil when unknown), or a bar that draws
-- nothing when `enabled` is false.
function M.new(enabled, total, out)
  return setmetatable({ enabled = enabled, total = total, out = out or io.stderr,
    start = clock(), done = 0, drawn = -1 }, Bar)
end

--- Counts one more item done and redraws (at most ten times a second,
-- and always for the last item).
function Bar:tick()
  self.done = self.done + 1
  if not self.enabled then return end
  local now = clock()
  if now - self.drawn < 0.1 and self.done ~= self.total then return end
  self.drawn = now
  local elapsed = now - self.start
  local rate = elapsed > 0 and self.done / elapsed or 0
  local text
  if self.total and self.total > 0 then
    local frac = math.min(self.done / self.total, 1)
    local width = 24
    local fill = math.floor(frac * width + 0.5)
    local eta = rate > 0 and hms((self.total - self.done) / rate) or "?"
    text = ("[%s%s] %d/%d %3d%% %.1f/s ETA %s"):format(("#"):rep(fill), ("-"):rep(width - fill),
      self.done, self.total, math.floor(frac * 100), rate, eta)
  else
    text = ("%d sent %.1f/s"):format(self.done, rate)
  end
  self.out:write("\r", text, "\27[K")
  self.out:flush()
end

--- Ends the bar's line, if one was drawn.
function Bar:finish()
  if self.enabled and self.drawn >= 0 then
    self.out:write("\n")
    self.out:flush()
  end
end

return M
