"""Stage 3, modeling: a baseline and a model from config, evaluated against each other."""
