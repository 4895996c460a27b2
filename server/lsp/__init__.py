"""The LSP adapter (pygls). The only package that imports pygls or lsprotocol."""
