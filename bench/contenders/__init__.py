"""One module per contender; each implements the same seven operations with the same meaning."""
