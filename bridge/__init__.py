"""Midjourney side: Discord REST and gateway, the message parser, the dispatcher, the simulator."""
