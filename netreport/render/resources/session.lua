-- netreport's pandoc session: one `pandoc lua` process that converts many
-- documents, so a build pays for pandoc's start-up once, not per page.
--
-- Each request is one line of JSON (what to do, and the byte length of the
-- text that follows), then the text itself. Each answer is the same: a line
-- of JSON (with citeproc's warnings, if any), then the output. A failed
-- request answers with its error and the session goes on; end of input
-- ends it.

local compiled = {}

local function template(text)
  if not compiled[text] then
    compiled[text] = pandoc.template.compile(text)
  end
  return compiled[text]
end

-- As pandoc's command line reads: a pipe table row longer than 72
-- characters gives the table relative column widths.
local reader_options = {columns = 72}

local function convert(request, text)
  local doc = pandoc.read(text, request.from, reader_options)
  local options = request.options or {}
  if request.template then
    options.template = template(request.template)
  end
  return pandoc.write(doc, request.to, options)
end

-- Citations of a JSON document whose metadata names the bibliography; the
-- warnings are those citeproc logged for this document only.
local function cite(_, text)
  local seen = #PANDOC_STATE.log
  local doc = pandoc.utils.citeproc(pandoc.read(text, "json"))
  local warnings = {}
  for i = seen + 1, #PANDOC_STATE.log do
    local message = pandoc.json.decode(pandoc.json.encode(PANDOC_STATE.log[i]), false)
    if message.verbosity == "WARNING" then
      warnings[#warnings + 1] = message.pretty
    end
  end
  return pandoc.write(doc, "json"), warnings
end

local handlers = {convert = convert, citeproc = cite}

local function answer(head, body)
  head.length = #body
  io.stdout:write(pandoc.json.encode(head), "\n", body)
  io.stdout:flush()
end

while true do
  local line = io.stdin:read("l")
  if not line then
    break
  end
  local request = pandoc.json.decode(line, false)
  local text = io.stdin:read(request.length) or ""
  local ok, result, warnings = pcall(handlers[request.op], request, text)
  if ok then
    answer({warnings = warnings}, result)
  else
    answer({error = tostring(result)}, "")
  end
end
