"""LaoLink: record linkage of Lao anti-trafficking records into person clusters."""

__version__ = "0.1.0"
