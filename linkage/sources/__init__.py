"""Sources: reading ministry files in their shapes, mapping them onto the exchange format, ingesting."""
