"""Contract status changes on demand: what Binance's ``!contractInfo`` stream announces.

Binance pushes a ``contractInfo`` event when a contract is listed, settled or delisted, or
its brackets change; the simulator's contracts never change by themselves, so a test makes
one change through :meth:`BinanceSimulator.set_contract_status` (``"SETTLING"``,
``"PENDING_TRADING"``, ``"CLOSE"``...). The change takes effect at the start of the next
simulated second: from then on REST's exchangeInfo lists the new status (``status`` on
USDⓈ-M, ``contractStatus`` on COIN-M) and the stream hub publishes one ``contractInfo``
event of that second to the ``!contractInfo`` subscribers. Nothing else changes: orders are
still accepted (the simulator does not model a closed market), and the brackets stay, so the
event carries no ``bks`` (Binance sends those only on bracket updates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CONTRACT_STATUSES", "ContractChange", "ContractChanges"]

CONTRACT_STATUSES = (
    "PENDING_TRADING",
    "TRADING",
    "PRE_DELIVERING",
    "DELIVERING",
    "DELIVERED",
    "PRE_SETTLE",
    "SETTLING",
    "CLOSE",
)
"""The contract statuses Binance's futures exchangeInfo documents."""


@dataclass(frozen=True, slots=True)
class ContractChange:
    """``symbol``'s status became ``status`` at ``time`` (ms, a whole second)."""

    symbol: str
    status: str
    time: int


@dataclass
class ContractChanges:
    """The contract status changes of one market, in the order they were made."""

    changes: list[ContractChange] = field(default_factory=list)

    def change(self, symbol: str, status: str, now: int) -> ContractChange:
        """Change ``symbol``'s status at the next whole second after ``now`` (so a stream
        pass that already published ``now``'s second does not miss it)."""
        if status not in CONTRACT_STATUSES:
            known = ", ".join(CONTRACT_STATUSES)
            raise ValueError(f"unknown contract status {status!r}: use {known}")
        made = ContractChange(symbol, status, (now // 1000 + 1) * 1000)
        self.changes.append(made)
        return made

    def status(self, symbol: str, now: int) -> str:
        """``symbol``'s status at ``now``: ``TRADING`` until a change took effect."""
        status = "TRADING"
        for made in self.changes:
            if made.symbol == symbol and made.time <= now:
                status = made.status
        return status

    def in_second(self, second: int) -> list[ContractChange]:
        """The changes that took effect at the start of ``second``."""
        return [made for made in self.changes if made.time == second * 1000]

    def listed(self, entry: dict[str, Any], key: str, now: int) -> dict[str, Any]:
        """An exchangeInfo ``symbols`` entry with its status (under ``key``) at ``now``."""
        status = self.status(entry["symbol"], now)
        return entry if entry[key] == status else {**entry, key: status}
