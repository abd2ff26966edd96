"""Fields: standardizing names (Lao script, Thai script, romanizations), dates, places, phones and IDs."""
