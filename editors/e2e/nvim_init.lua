-- Test profile: our Neovim config as a user would load it.
--   REVIEWLS_NVIM_API=enable -> lsp/reviewls.lua + vim.lsp.enable (0.11+)
--   REVIEWLS_NVIM_API=setup  -> require('reviewls').setup{} (0.7-0.10 path)
vim.opt.runtimepath:prepend(os.getenv('REVIEWLS_NEOVIM_DIR'))
local cmd = { os.getenv('REVIEWLS_CMD') }
-- the README's line: Neovim 0.11 shows only signs by default (0.7-0.10 show virtual text already)
vim.diagnostic.config({ virtual_text = true })
if os.getenv('REVIEWLS_NVIM_API') == 'enable' then
  vim.lsp.config('reviewls', { cmd = cmd })
  vim.lsp.enable('reviewls')
else
  require('reviewls').setup({ cmd = cmd })
end
