"""Notifications: the record of each message the portal sends, each sent exactly once."""
