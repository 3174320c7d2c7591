-- The stitch case of tests/cases/lj1075_stitch_ipairs_slot62.lua written as
-- people write reproducers for a stock `luajit`: it checks its own results
-- and ends with os.exit, 1 when a result is wrong (on a tree with
-- LuaJIT#1075) and 0 when all are right. `cargo xtask test` diffs its machine
-- code: a capture must survive os.exit on both builds.
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
local wrong = 0
for round = 1, 50 do
  local ok, got = pcall(f, t)
  if not ok or got ~= 36 then
    wrong = wrong + 1
    if wrong == 1 then
      io.stderr:write(("round %d: expected sum 36, got %s\n"):format(round, tostring(got)))
    end
  end
end
print(("%d of 50 rounds wrong"):format(wrong))
os.exit(wrong == 0 and 0 or 1)
