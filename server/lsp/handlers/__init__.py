"""LSP method handlers, one module per method group; each has `register(server)`."""
