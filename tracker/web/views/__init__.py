"""The desk's pages and actions, one module per area."""
