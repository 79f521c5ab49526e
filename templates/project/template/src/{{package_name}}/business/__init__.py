"""Stage 6, business analysis: model decisions turned into business value."""
