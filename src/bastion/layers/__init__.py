"""One layer per surface a tool call can touch; each returns findings, the guard combines them."""
