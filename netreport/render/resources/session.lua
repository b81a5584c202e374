-- netreport's pandoc session: one `pandoc lua` process that converts many
-- documents, so a build pays for pandoc's start-up once, not per page.
--
-- Each request is one line of JSON (what to do, and the byte length of the
-- text that follows), then the text itself. Each answer is the same: a line
-- of JSON, then the output. A failed conversion answers with its error and
-- the session goes on; end of input ends it.

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
  local ok, result = pcall(convert, request, text)
  if ok then
    answer({}, result)
  else
    answer({error = tostring(result)}, "")
  end
end
