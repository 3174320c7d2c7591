-- pins: LuaJIT#1075
-- title: ARM64: an access at -16 fused with one at +488 that shares its 9-bit encoding
-- fixed-by: b8c6ccd5
-- fails-with: attempt to perform arithmetic on local 'i' (a function value)
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- Kong's symptom: 59 locals put the ipairs variable 'i' in slot 62 (BASE+496)
-- and the call to the upvalue 'clock' (os.clock, not compiled) in slot 63, so the
-- loop trace ends in a stitch. Reading the immutable upvalue pins the frame's
-- function, so the stitch snapshot stores it at BASE-16 right after the call
-- slot at BASE+504; the faulty fusion makes one STP at +496, clobbering 'i'.
jit.opt.start("hotloop=1")
local clock = os.clock

local function f(t)
  local sum = 0
  local v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19, v20, v21, v22, v23, v24, v25, v26, v27, v28, v29, v30, v31, v32, v33, v34, v35, v36, v37, v38, v39, v40, v41, v42, v43, v44, v45, v46, v47, v48, v49, v50, v51, v52, v53, v54, v55, v56, v57
  for i in ipairs(t) do
    clock()
    sum = sum + i
  end
  return sum
end

local t = {1, 2, 3, 4, 5, 6, 7, 8}
for round = 1, 50 do
  local got = f(t)
  if got ~= 36 then
    error(("round %d: expected sum 36, got %s"):format(round, tostring(got)))
  end
end
