-- pins: LuaJIT#285
-- title: No trace compiled once the memory within branch range of the VM is taken
-- fixed-by: 68354f44
-- fails-with: no trace was compiled
-- fails-on: luajit-src 210.6.2+25a61a1
-- passes-on: luajit-src 210.6.3+eba91fc
-- stress-finds: no, a process that has used up the memory within branch range of the VM before it compiles (large allocations mapped there first); a stress program allocates far too little
-- Prose: machine code has to be allocated within the reach of a direct
-- branch (B/BL: +-128 MB on ARM64) to the VM's support code, and
-- mcode_alloc() in src/lj_mcode.c gave up with "failed to allocate mcode
-- memory" when that range was full: the JIT compiles nothing from then on.
-- The case fills the range itself before the first trace: with the JIT off
-- it maps inaccessible pages (mmap with MAP_FIXED_NOREPLACE, 1 MB and then
-- 4 KB pieces into every hole) over +-300 MB around the C function of
-- `print` (jit.util.funcinfo), then turns the JIT on and counts the traces
-- a hot loop gives (jit.attach). The fix (68354f44, "Allow mcode
-- allocations outside of the jump range to the support code.") allocates
-- anywhere and, when a direct branch does not reach, calls the support
-- code through a register (e.g. the exit stubs load lj_vm_exit_handler
-- from a global constant and `blr` to it): the loop compiles. With the JIT
-- off from the start (-joff) there is nothing to count.
local enabled = jit.status()
jit.off()
local ffi = require("ffi")
ffi.cdef[[
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
]]
local MB, PAGE = 1024 * 1024, 4096
local MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE = 0x02, 0x20, 0x100000
local FLAGS = MAP_PRIVATE + MAP_ANONYMOUS + MAP_FIXED_NOREPLACE
local function reserve(addr, len)
  local p = ffi.C.mmap(ffi.cast("void *", addr), len, 0, FLAGS, -1, 0)
  return tonumber(ffi.cast("intptr_t", p)) == addr
end
local vm = require("jit.util").funcinfo(print).addr -- C code beside the VM
local first = math.floor(vm / MB) * MB
for i = -300, 300 do
  local a = first + i * MB
  if a > 0 and not reserve(a, MB) then
    for k = 0, MB - PAGE, PAGE do reserve(a + k, PAGE) end
  end
end
if not enabled then print("ok (JIT off)") return end

jit.on()
local traces = 0
jit.attach(function(what) if what == "stop" then traces = traces + 1 end end, "trace")
local s = 0
for i = 1, 1000 do s = s + i end
jit.attach(function() end)
assert(s == 500500)
if traces == 0 then
  error("no trace was compiled once the +-128 MB around the VM were taken")
end
print("ok")
