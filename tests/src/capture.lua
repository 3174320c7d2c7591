-- The machine-code capture: runs after a workload, in the same lua_State, and
-- returns every trace as one JSON document (the format is documented in
-- src/capture.rs). Nothing was attached to the JIT while the workload ran;
-- this chunk only reads what it left behind.
--
-- Arguments: the trace-start and IR-name helpers (src/capture.c), the
-- workload's chunk name, its uncaught error (or nil) and the status it passed
-- to os.exit (or nil).
local tracestart, irnames, script_name, script_error, exit_status, format_name = ...

-- The caller has switched the JIT off: the loops below add no traces.
local jutil = require("jit.util")
local ffi = require("ffi")
local bit = require("bit")

local format, byte, concat = string.format, string.byte, table.concat

-- An address or offset as a JSON string "0x...".
local function hex(n)
  return '"' .. format("0x%x", n) .. '"'
end

-- JSON string; every byte outside printable ASCII is escaped, so the document
-- is valid UTF-8 whatever the workload's strings hold.
local function jstr(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    return format("\\u%04x", byte(c))
  end) .. '"'
end

local function jarray(items)
  return "[" .. concat(items, ",") .. "]"
end

-- A JSON object from a list of {key, encoded value} pairs, in that order.
local function jobject(fields)
  local parts = {}
  for i, field in ipairs(fields) do
    parts[i] = jstr(field[1]) .. ":" .. field[2]
  end
  return "{" .. concat(parts, ",") .. "}"
end

local function jopt(value, encode)
  if value == nil then return "null" end
  return encode(value)
end

-- A constant as text that does not depend on where objects live.
local function constant_text(tr, ref)
  local k, t, slot = jutil.tracek(tr, ref)
  local kind = type(k)
  local text
  if t == 3 or t == 5 or t == 9 then
    text = "ptr"                             -- lightuserdata, p32, p64: an address
  elseif kind == "number" then
    text = format("%.17g", k)
  elseif kind == "string" then
    text = format("%q", k)
  elseif kind == "boolean" or kind == "nil" then
    text = tostring(k)
  elseif kind == "function" then
    local info = jutil.funcinfo(k)
    if info.loc then
      text = "func " .. info.loc
    elseif info.ffid then
      text = "fastfunc " .. info.ffid
    else
      text = "cfunc"
    end
  elseif kind == "cdata" then
    local ctype = tostring(ffi.typeof(k))
    if ctype == "ctype<int64_t>" or ctype == "ctype<uint64_t>" then
      text = tostring(k)
    else
      text = "cdata " .. ctype
    end
  else
    text = kind
  end
  if slot then
    text = text .. " @" .. slot
  end
  return format("K[t%d %s]", t or -1, text)
end

-- One operand: a reference to another instruction (its number), to a
-- constant (its value) or a literal field, as traceir gives it.
local function operand_text(tr, mode, value)
  if mode == 3 then return "-" end           -- IRMnone
  if mode == 0 and value < 0 then            -- IRMref to a constant
    return constant_text(tr, value)
  elseif mode == 0 then
    return format("%04d", value)
  end
  return tostring(value)                     -- IRMlit, IRMcst
end

-- Opcode names from the tree's IRDEF, as -jdump prints them; type names as
-- -jdump abbreviates IRTDEF's (jit/dump.lua), lowercase where it does not.
local opnames, typenames = irnames()
local type_abbreviations = {
  FALSE = "fal", TRUE = "tru", LIGHTUD = "lud", THREAD = "thr", PROTO = "pro",
  FUNC = "fun", CDATA = "cdt", UDATA = "udt", FLOAT = "flt", SOFTFP = "sfp",
}
local function type_name(t)
  local name = typenames[t + 1]
  if not name then return "t" .. t end
  return type_abbreviations[name] or name:lower()
end

-- IR as text in -jdump's columns: number, guard (">") and PHI ("+") marks,
-- type, opcode, operands (constants spelled out; no registers, which are the
-- machine code's business).
local function ir_lines(tr, nins)
  local lines = {}
  for ref = 1, nins do
    local m, ot, op1, op2 = jutil.traceir(tr, ref)
    if not m then error(format("trace %d has no IR instruction %d", tr, ref)) end
    local op = bit.rshift(ot, 8)
    local name = opnames[op + 1] or ("op" .. op)
    local second = operand_text(tr, bit.band(bit.rshift(m, 2), 3), op2)
    if name == "UREFO" or name == "UREFC" then
      -- The low byte is a hash of the prototype's address (alias analysis
      -- only): it moves with the heap, so it is left out, as -jdump does.
      second = format("#%d", bit.rshift(op2, 8))
    end
    local text = format("%04d %s%s %-3s %-6s %s %s", ref,
      bit.band(ot, 0x80) ~= 0 and ">" or " ", bit.band(ot, 0x40) ~= 0 and "+" or " ",
      type_name(bit.band(ot, 31)), name,
      operand_text(tr, bit.band(m, 3), op1), second)
    lines[#lines + 1] = jstr(text)
  end
  return lines
end

local function read_word(address)
  return tonumber(ffi.cast("uint32_t *", address)[0])
end

-- Mapped address ranges, to tell heap and code addresses from other constants.
local function memory_map()
  local ranges = {}
  local file = io.open("/proc/self/maps", "r")
  if not file then return ranges end
  for line in file:lines() do
    local first, last = line:match("^(%x+)-(%x+)")
    if first then
      ranges[#ranges + 1] = jarray({ jstr("0x" .. first), jstr("0x" .. last) })
    end
  end
  file:close()
  return ranges
end

local traces, by_address = {}, {}
for tr = 1, tracestart() - 1 do
  local info = jutil.traceinfo(tr)
  if info then
    local mcode, address, loop = jutil.tracemc(tr)
    local pt, pc, root = tracestart(tr)
    local loc
    if pt then
      local fi = jutil.funcinfo(pt, pc)
      loc = fi.source:gsub("^[@=]", "") .. ":" .. (fi.currentline or fi.linedefined)
    end
    local stubs = {}
    while true do
      local stub = jutil.traceexitstub(tr, #stubs)
      if not stub then break end
      stubs[#stubs + 1] = stub
    end
    local trace = {
      number = tr, info = info, loc = loc, root = root or 0,
      mcode = mcode, address = address, loop = loop, stubs = stubs,
    }
    traces[#traces + 1] = trace
    if address then by_address[address] = trace end
  end
end

-- A side trace is entered through its parent's exit stub, which is patched
-- into `b <side trace>` when the side trace is linked.
for _, trace in ipairs(traces) do
  for exit, stub in ipairs(trace.stubs) do
    local word = read_word(stub)
    if bit.rshift(word, 26) == 5 then
      local delta = bit.band(word, 0x3ffffff)
      if delta >= 0x2000000 then delta = delta - 0x4000000 end
      local child = by_address[stub + 4 * delta]
      if child then
        child.parent, child.exit = trace.number, exit - 1
      end
    end
  end
end

local encoded = {}
for i, trace in ipairs(traces) do
  local info = trace.info
  local mcode = trace.mcode or ""
  local first_stub = trace.stubs[1]
  encoded[i] = jobject({
    { "trace", tostring(trace.number) },
    { "parent", jopt(trace.parent, tostring) },
    { "exit", jopt(trace.exit, tostring) },
    { "root", tostring(trace.root) },
    { "start", jopt(trace.loc, jstr) },
    { "link", tostring(info.link) },
    { "linktype", jstr(info.linktype) },
    { "nexit", tostring(info.nexit) },
    { "ir", jarray(ir_lines(trace.number, info.nins)) },
    { "address", jopt(trace.address, hex) },
    { "loop", tostring(trace.loop or 0) },
    { "mcode", jstr((mcode:gsub(".", function(c) return format("%02x", byte(c)) end))) },
    { "exit_stubs", jopt(first_stub, function(stub) return hex(stub - trace.address) end) },
    { "exit_count", tostring(#trace.stubs) },
  })
end

local ircalls = {}
for i = 0, 1000 do
  local address = jutil.ircalladdr(i)
  if not address then break end
  ircalls[#ircalls + 1] = hex(address)
end

return jobject({
  { "format", jstr(format_name) },
  { "script", jstr(script_name) },
  { "error", jopt(script_error, jstr) },
  { "exit", jopt(exit_status, tostring) },
  { "version", jstr(jit.version) },
  { "maps", jarray(memory_map()) },
  { "ircalls", jarray(ircalls) },
  { "traces", jarray(encoded) },
}) .. "\n"
