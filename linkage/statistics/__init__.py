"""Statistics over published persons: capture-history tables and multiple systems estimation."""
