-- pins: LuaJIT#1075
-- title: ARM64: an access at -16 fused with one at +488 that shares its 9-bit encoding
-- fixed-by: b8c6ccd5
-- fails-with: tail call returned a function
-- fails-on: luajit-src 210.4.8+resty107baaf
-- passes-on: luajit-src 210.5.0+becf5cc
-- A hot call of 'outer' gets its own root trace: its tail call sets the frame's
-- function slot (BASE-16) to the constant 'inner', whose 63-slot frame returns
-- two values staged in slots 61/62 (BASE+488/+496). The trace returns to the
-- interpreter and its last snapshot stores +488 next to BASE-16; the faulty
-- fusion makes one STP at +488, so 'inner' lands in the second result.
jit.opt.start("hotloop=1")

local function inner(n)
  local v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16, v17, v18, v19, v20, v21, v22, v23, v24, v25, v26, v27, v28, v29, v30, v31, v32, v33, v34, v35, v36, v37, v38, v39, v40, v41, v42, v43, v44, v45, v46, v47, v48, v49, v50, v51, v52, v53, v54, v55, v56, v57, v58
  local lo, hi = n, n + 1
  return lo, hi
end

local function outer(n)
  return inner(n)
end

local function driver()
  for k = 1, 30 do
    local lo, hi = outer(k)
    if lo ~= k or hi ~= k + 1 then
      error(("call %d: tail call returned a %s (%s) as its second value, expected %d"):format(
        k, type(hi), tostring(hi), k + 1))
    end
  end
end
jit.off(driver)  -- keep the caller interpreted so 'outer' gets its own trace
driver()
