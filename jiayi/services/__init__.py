"""Domain rules. No Telegram, no SQL: storage is reached through the unit of work."""
