"""The centre's web console: server-rendered pages (aiohttp + Jinja2) over the same services
the bot calls. No SQL here (ruff TID251); no CDN, no JavaScript build."""
