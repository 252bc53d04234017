-- coll_check.lua: whether a token opens the collection, before the member
-- offered to it is checked at its channel. Read-only.
-- ARGV[1] collection token hash
-- Returns {'ok'} or {'unauthorized'}.
if not coll_open(ARGV[1]) then return {ST_UNAUTHORIZED} end
return {ST_OK}
