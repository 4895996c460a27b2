-- reviewls for Neovim 0.11+ (vim.lsp.config / vim.lsp.enable).
--
-- Put editors/neovim on 'runtimepath' (or copy this file to ~/.config/nvim/lsp/reviewls.lua),
-- then call vim.lsp.enable('reviewls'). Override any field with vim.lsp.config('reviewls', {...}),
-- e.g. cmd = { '/path/to/venv/bin/reviewls' } or settings = { reviewls = { ignore = { 'RV101' } } }.
return {
  cmd = { 'reviewls' },
  -- Python, and the config files reviewls reviews: docker-compose (yaml), requirements, nginx.
  -- The server ignores files of these types that it does not understand.
  filetypes = { 'python', 'yaml', 'requirements', 'nginx' },
  root_markers = { 'pyproject.toml', 'setup.cfg', 'setup.py', '.git' },
  -- the server reads settings from initializationOptions and workspace/didChangeConfiguration
  init_options = { reviewls = {} },
  settings = { reviewls = {} },
}
