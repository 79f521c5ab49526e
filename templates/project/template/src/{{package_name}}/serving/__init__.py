"""Stage 4, deployment: the promotion gate, online and batch prediction."""
