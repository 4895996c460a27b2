-- reviewls for Neovim 0.11+ (vim.lsp.config / vim.lsp.enable).
--
-- Put editors/neovim on 'runtimepath' (or copy this file to ~/.config/nvim/lsp/reviewls.lua),
-- then call vim.lsp.enable('reviewls'). Override any field with vim.lsp.config('reviewls', {...}),
-- e.g. cmd = { '/path/to/venv/bin/reviewls' } or settings = { reviewls = { ignore = { 'RV101' } } }.
return {
  cmd = { 'reviewls' },
  -- Python, and the config files reviewls reviews: docker-compose (yaml), requirements,
  -- pyproject.toml (toml), nginx. The README lists the same file types for other clients.
  -- The server ignores files of these types that it does not understand.
  filetypes = { 'python', 'yaml', 'requirements', 'toml', 'nginx' },
  root_markers = { 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  -- the server reads settings from initializationOptions and workspace/didChangeConfiguration;
  -- vim.empty_dict(), not {}: an empty Lua table goes out as a JSON array ([]), which the server
  -- cannot read as settings (it logged "unknown setting `reviewls` ignored" on every start)
  init_options = { reviewls = vim.empty_dict() },
  settings = { reviewls = vim.empty_dict() },
}
