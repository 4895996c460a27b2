-- reviewls for Neovim 0.7-0.10: require('reviewls').setup({ ... })
--
-- On 0.8+ each matching buffer starts (or reuses) a client with vim.lsp.start and root
-- detection on pyproject.toml/setup.cfg/.git; on 0.7 it uses vim.lsp.start_client and
-- buf_attach_client. On 0.11+ prefer lsp/reviewls.lua with vim.lsp.enable('reviewls').
local M = {}

M.defaults = {
  cmd = { 'reviewls' },
  filetypes = { 'python', 'yaml', 'requirements', 'toml', 'nginx' },
  root_markers = { 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  settings = {}, -- reviewls settings: select, ignore, severity, run ('onType' | 'onSave'), enable
  on_attach = nil, -- function(client, bufnr)
}

local uv = vim.loop

local function dirname(path)
  return vim.fn.fnamemodify(path, ':h')
end

--- The nearest ancestor of `path` holding one of `markers`, else the current directory.
function M.find_root(path, markers)
  local dir = path ~= '' and dirname(vim.fn.fnamemodify(path, ':p')) or vim.fn.getcwd()
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.getcwd()
end

local clients = {} -- root -> client id (0.7)

local function client_config(opts, root)
  -- an empty Lua table goes out as a JSON array ([]), which the server cannot read as settings
  local settings = next(opts.settings) == nil and vim.empty_dict() or opts.settings
  return {
    name = 'reviewls',
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = { reviewls = settings },
    settings = { reviewls = settings },
    on_attach = opts.on_attach,
  }
end

local function attach(opts, bufnr)
  local root = M.find_root(vim.api.nvim_buf_get_name(bufnr), opts.root_markers)
  if vim.lsp.start then
    vim.lsp.start(client_config(opts, root), { bufnr = bufnr })
    return
  end
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(client_config(opts, root))
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

function M.setup(user)
  local opts = vim.tbl_deep_extend('force', {}, M.defaults, user or {})
  local group = vim.api.nvim_create_augroup('reviewls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      attach(opts, args.buf)
    end,
  })
  -- buffers already open when setup runs
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype) then
      attach(opts, bufnr)
    end
  end
end

return M
