-- Headless end-to-end driver: wait for reviewls' RV101 diagnostic, read how it is shown (virtual
-- text), apply its quick fix through the LSP code-action API, wait for the diagnostic to go.
-- Prints one JSON line (with the path of the LSP log, which the test reads); exits 0 on
-- success, 2+ with `error` set otherwise.
local buf = vim.api.nvim_get_current_buf()
local v = vim.version()
local report = { nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch), lsp_log = vim.lsp.get_log_path() }

local function finish(code, err)
  report.error = err
  report.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  io.stdout:write(vim.fn.json_encode(report) .. '\n')
  vim.cmd(code == 0 and 'qall!' or ('cquit ' .. code))
end

local function rv101()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == 'RV101' then
      return d
    end
  end
end

if not vim.wait(30000, function() return rv101() ~= nil end, 50) then
  return finish(2, 'no RV101 diagnostic within 30s')
end
local d = rv101()
report.diagnostic = { lnum = d.lnum, col = d.col, end_col = d.end_col, severity = d.severity, source = d.source, message = d.message }

-- the virtual text shown for the diagnostic: extmarks on its line in the namespace that
-- vim.diagnostic's virtual_text handler draws in (made on its first use: none while it is off)
report.virtual_text = {}
local virt_text_ns = vim.diagnostic.get_namespace(d.namespace).user_data.virt_text_ns
if virt_text_ns then
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, virt_text_ns, 0, -1, { details = true })) do
    if mark[2] == d.lnum then
      for _, chunk in ipairs(mark[4].virt_text or {}) do
        table.insert(report.virtual_text, chunk[1])
      end
    end
  end
end
local lsp_diag = {
  range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
  message = d.message, source = d.source, code = d.code, severity = d.severity,
}
local results = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = lsp_diag.range,
  context = { diagnostics = { lsp_diag }, only = { 'quickfix' } },
}, 10000) or {}
report.actions = {}
local chosen, chosen_client
for client_id, res in pairs(results) do
  for _, action in ipairs(res.result or {}) do
    table.insert(report.actions, action.title)
    if not chosen and action.title:find('Replace `print`', 1, true) then
      chosen, chosen_client = action, vim.lsp.get_client_by_id(client_id)
    end
  end
end
if not chosen then return finish(3, 'no RV101 quick fix offered') end
if not chosen.edit then
  -- the server defers edits to codeAction/resolve for clients that support it
  local resolved = chosen_client.request_sync('codeAction/resolve', chosen, 10000, buf)
  chosen = resolved and resolved.result or chosen
end
if not chosen.edit then return finish(4, 'the quick fix has no edit') end
vim.lsp.util.apply_workspace_edit(chosen.edit, chosen_client.offset_encoding)
local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
if not text:find('logger.info(', 1, true) or text:find('print(', 1, true) then
  return finish(5, 'the edit did not replace print')
end
report.cleared = vim.wait(15000, function() return rv101() == nil end, 50)
if not report.cleared then return finish(6, 'RV101 still reported after the fix') end
finish(0)
