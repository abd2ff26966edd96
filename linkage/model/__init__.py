"""Model: comparisons, blocking, training, prediction and evaluation with Splink."""
