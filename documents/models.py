"""Documents, versions, review rounds and comments live here."""
