"""Involvement: contributions, expenses, payments and involvement history within a study."""
