-- spec/support/summary.lua - busted output handler: busted's usual
-- terminal output, then one closing line "N passed, N failed" built from
-- busted's own counts (errors count as failures), which CI reads.
return function(options)
  local busted = require "busted"
  local inner = require("busted.outputHandlers.utfTerminal")(options)
  local subscribe = inner.subscribe

  inner.subscribe = function(self, opts)
    subscribe(self, opts)
    busted.subscribe({ "suite", "end" }, function()
      io.write(string.format("%d passed, %d failed\n", inner.successesCount,
        inner.failuresCount + inner.errorsCount))
      io.flush()
      return nil, true
    end)
  end
  return inner
end
