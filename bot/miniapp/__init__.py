"""Vary (Region) in a Telegram Mini App: the page, its server, and Telegram's init data."""
