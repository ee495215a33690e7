"""Persistence: SQLModel tables and async repository functions. Imports neither bot nor bridge."""
