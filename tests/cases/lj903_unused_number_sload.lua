-- pins: LuaJIT#903
-- title: ARM64: the type check of an unused number SLOAD overwrites a register
-- fixed-by: 6c4826f1
-- fails-with: was overwritten by an unused stack slot
-- fails-on: luajit-src 210.4.3+resty8384278
-- passes-on: luajit-src 210.4.4+restydf15b79
-- stress-finds: no, a number local passed to a function that is inlined into the trace and ignores that argument, with FP values live around the call (the unused SLOAD's type check)
-- Prose: passing a number local to a function that is inlined and ignores
-- it leaves an SLOAD whose value is unused but whose type must still be
-- checked. The faulty asm_sload moved the loaded bits into the FP register
-- `dest & 31` after the check, and for an unused load dest is RID_NONE, so
-- it wrote d0, the first FP register, which may hold a live value. Here a
-- number computed from a table field before the call and used after it is
-- that value: the trace compares the slot's bits instead of it.
jit.opt.start("hotloop=1")

local function ignore(x) return x end

local function run(slot, box)
  local bad = 0
  for _ = 1, 30 do
    local live = box.v - 2.5
    ignore(slot)
    if live ~= 0.25 then bad = bad + 1 end
  end
  return bad
end

local wrong = {}
for _, slot in ipairs({ 0.1, -7.5, 1e300 }) do
  local bad = run(slot, { v = 2.75 })
  if bad > 0 then
    wrong[#wrong + 1] = ("box.v - 2.5 (0.25) was overwritten by an unused stack slot holding %s in %d of 30 rounds")
      :format(slot, bad)
  end
end
assert(#wrong == 0, table.concat(wrong, "; "))
print("ok")
