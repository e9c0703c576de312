"""Pages of supervision, one module per area."""
