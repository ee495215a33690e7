"""Alembic migrations of the bot's database (env.py, script.py.mako, versions/).

A package so that it is installed with the app: `storage.db` runs it at start.
"""
