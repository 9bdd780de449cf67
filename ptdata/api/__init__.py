"""The Power Textor HTTP client: operation table, request building, envelope parsing, I/O."""
