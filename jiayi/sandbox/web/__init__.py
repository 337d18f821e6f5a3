"""The local sandbox: a web chat with the real bot, over the in-repo Bot API server.

:mod:`sandbox.web.runner` starts everything (``jiayi sandbox``); :mod:`sandbox.web.chat` is
the browser-facing web app, kept apart from the Bot API emulation in :mod:`sandbox.botapi`.
"""
