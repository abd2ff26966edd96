"""Clusters: clustering with decisions, consistency rules, stable person IDs, the review queue."""
