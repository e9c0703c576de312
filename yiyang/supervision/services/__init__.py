"""Domain operations of supervision, one module per area (inspections, ratings, subsidies, escrow,
workforce, pairing, complaints). Pages, the API and commands call these."""
