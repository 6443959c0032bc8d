"""Writes about documents, versions, review rounds, comments and responses."""
