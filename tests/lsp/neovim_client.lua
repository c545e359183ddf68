-- Driven by tests/lsp_neovim.rs (`nvim --headless -u NONE -c "luafile …"`): Neovim's built-in LSP
-- client (0.7 API) against `pyaudit server`. Environment: PYAUDIT_BIN (server binary),
-- PYAUDIT_ROOT (workspace), PYAUDIT_FILE (file to open), PYAUDIT_OUT (where diagnostics go,
-- one "code<TAB>line" per line, line 1-based), PYAUDIT_EXIT (where a shell around the server
-- writes its exit code). Exits 0 when diagnostics arrived, 1 on timeout. Neovim quits right
-- after asking the client to stop, as a user's `:qa` does: the server sees `shutdown` (or
-- not yet) and then its stdin closing, without `exit`.
local bin = os.getenv("PYAUDIT_BIN")
local root = os.getenv("PYAUDIT_ROOT")
local file = os.getenv("PYAUDIT_FILE")
local out = os.getenv("PYAUDIT_OUT")
local exit_out = os.getenv("PYAUDIT_EXIT")

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "pyaudit",
  -- Neovim sends SIGTERM to the process it started when it quits; the shell outlives it
  -- (a trap, which the server does not inherit) to record how the server itself ended.
  cmd = { "sh", "-c", 'trap : TERM; "$0" server; echo $? > "$1"', bin, exit_out },
  root_dir = root,
})
if not client_id then
  io.stderr:write("start_client failed\n")
  vim.cmd("cquit 2")
end
vim.lsp.buf_attach_client(buf, client_id)

local got = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 100)

local lines = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(lines, tostring(d.code) .. "\t" .. tostring(d.lnum + 1))
end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(client_id)
if got then
  vim.cmd("qall!")
else
  vim.cmd("cquit 1")
end
