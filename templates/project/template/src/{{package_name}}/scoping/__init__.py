"""Stage 1, scoping: what the decision is worth before any model exists."""
