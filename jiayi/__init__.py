"""家医 jiayi: a Telegram health-push service for community health centres.

One installable package so nothing lands in site-packages under a generic top-level name
(`bot`, `scheduler`, `content`… are taken by other distributions). The layers live side by
side below it: bot/ and scheduler/ (entry points) → services/ (rules) → storage/ (tables,
queries, the unit of work); content/ is data; webconsole/ the centre's pages; sandbox/ the
in-repo Bot API server and web chat.
"""
