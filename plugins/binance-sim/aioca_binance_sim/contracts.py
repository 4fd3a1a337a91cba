"""Contract status changes on demand: what Binance's ``!contractInfo`` stream announces.

Binance pushes a ``contractInfo`` event when a contract is listed, settled or delisted, or
its brackets change; the simulator's contracts never change by themselves, so a test makes
one change through :meth:`BinanceSimulator.set_contract_status` (``"SETTLING"``,
``"PENDING_TRADING"``, ``"CLOSE"``...) or :meth:`BinanceSimulator.set_leverage_brackets`
(:mod:`.leverage_brackets`). A change takes effect at the start of the next simulated
second: from then on REST answers it (exchangeInfo's ``status`` on USDⓈ-M,
``contractStatus`` on COIN-M; ``leverageBracket``'s rows) and the stream hub publishes one
``contractInfo`` event of that second to the ``!contractInfo`` subscribers. A status change
changes nothing else (orders are still accepted: the simulator does not model a closed
market) and its event carries no ``bks`` ("bks field only shows up when bracket gets
updated"); a bracket change's event carries the new table as ``bks``, with the contract's
status at that moment as ``cs``.

No event carries ``st``: Binance appends it ("1 = UM, 2 = CM") only "after CM migration",
when the stream pushes the merged USDⓈ-M and COIN-M universe on both hosts. The simulator
serves the streams as documented before that migration (each market's hub its own
contracts, as its documented example and its other streams, none of which carries ``st``),
so the symbol type would only repeat which market's stream the event came on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .leverage_brackets import Bracket, bks

__all__ = [
    "CONTRACT_STATUSES",
    "BracketChange",
    "ContractChange",
    "ContractChanges",
    "contract_info_events",
]

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


@dataclass(frozen=True, slots=True)
class BracketChange:
    """``symbol``'s leverage brackets became ``brackets`` at ``time`` (ms, a whole second)."""

    symbol: str
    brackets: tuple[Bracket, ...]
    time: int


def _next_second(now: int) -> int:
    """The start of the next whole second after ``now`` (so a stream pass that already
    published ``now``'s second does not miss a change made now)."""
    return (now // 1000 + 1) * 1000


@dataclass
class ContractChanges:
    """The contract status and bracket changes of one market, in the order they were made."""

    changes: list[ContractChange] = field(default_factory=list)
    bracket_changes: list[BracketChange] = field(default_factory=list)

    def change(self, symbol: str, status: str, now: int) -> ContractChange:
        """Change ``symbol``'s status at the next whole second after ``now`` (so a stream
        pass that already published ``now``'s second does not miss it)."""
        if status not in CONTRACT_STATUSES:
            known = ", ".join(CONTRACT_STATUSES)
            raise ValueError(f"unknown contract status {status!r}: use {known}")
        made = ContractChange(symbol, status, _next_second(now))
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

    def set_brackets(self, symbol: str, brackets: tuple[Bracket, ...], now: int) -> BracketChange:
        """Give ``symbol`` these (checked) brackets from the next whole second after ``now``."""
        made = BracketChange(symbol, brackets, _next_second(now))
        self.bracket_changes.append(made)
        return made

    def brackets(self, symbol: str, now: int) -> tuple[Bracket, ...] | None:
        """``symbol``'s brackets at ``now`` when a test set them (``None``: the market's own)."""
        found = None
        for made in self.bracket_changes:
            if made.symbol == symbol and made.time <= now:
                found = made.brackets
        return found

    def brackets_in_second(self, second: int) -> list[BracketChange]:
        """The bracket changes that took effect at the start of ``second``."""
        return [made for made in self.bracket_changes if made.time == second * 1000]

    def listed(self, entry: dict[str, Any], key: str, now: int) -> dict[str, Any]:
        """An exchangeInfo ``symbols`` entry with its status (under ``key``) at ``now``."""
        status = self.status(entry["symbol"], now)
        return entry if entry[key] == status else {**entry, key: status}


def contract_info_events(
    changes: ContractChanges, second: int, head: Callable[[str], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """The ``contractInfo`` events of the changes that took effect at ``second``: status
    changes, then bracket changes (with ``bks``), keys in the order of Binance's example;
    ``head(symbol)`` gives the contract's ``s``, ``ps``, ``ct``, ``dt``, ``ot`` (``None``:
    not a contract of this market)."""
    events = []
    for made in changes.in_second(second):
        found = head(made.symbol)
        if found is not None:
            events.append({"e": "contractInfo", "E": made.time, **found, "cs": made.status})
    for bracketed in changes.brackets_in_second(second):
        found = head(bracketed.symbol)
        if found is not None:
            status = changes.status(bracketed.symbol, bracketed.time)
            events.append(
                {
                    "e": "contractInfo",
                    "E": bracketed.time,
                    **found,
                    "cs": status,
                    "bks": bks(bracketed.brackets),
                }
            )
    return events
