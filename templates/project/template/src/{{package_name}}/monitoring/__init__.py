"""Stage 5, monitoring: drift between reference and current data, and the retrain decision."""
