"""`ConsoleRepository`: the doctor console's queries, by idea in the modules beside this one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage.console.accounts import ConsoleAccounts
from jiayi.storage.console.audit import ConsoleAudit
from jiayi.storage.console.broadcasts import ConsoleBroadcasts
from jiayi.storage.console.questions import ConsoleQuestions
from jiayi.storage.console.residents import ConsoleResidents


class ConsoleRepository(
    ConsoleResidents, ConsoleAudit, ConsoleAccounts, ConsoleBroadcasts, ConsoleQuestions
):
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
