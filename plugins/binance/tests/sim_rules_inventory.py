"""The inventory of Binance's prose rules: every sentence of the spec copy's endpoint
notes and parameter descriptions (Spot, USDⓈ-M, COIN-M) that reads like a rule, and what
the simulator does with it: ``read`` (a pattern of ``aioca_binance_sim.rules`` reads it,
so it is enforced on every request), ``explained`` (listed below with the reason the
rules layer does not read it), or ``unexplained`` (the test fails on those).

Run it to print the inventory::

    .venv/bin/python plugins/binance/tests/sim_rules_inventory.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from aioca_binance_sim.endpoints import MARKETS, spec_text
from aioca_binance_sim.rules import SENTENCE_PATTERNS

__all__ = ["EXPLAINED", "Row", "inventory", "texts"]

RULE_WORDS = re.compile(
    r"\b(required|must|mandatory|cannot|can't|can not|only|not allowed|should|at least|"
    r"at most|Either|either|neither|maximum|max|less than|greater than|up to|longer than|"
    r"reserved|together|combination|can be used|used with)\b",
    re.IGNORECASE,
)
"""What makes a sentence look like a rule (a superset: the explanations sort it out)."""
SENTENCE = re.compile(r"(?:[^.;\n]|\.(?=\S))+(?:[.;]|$)")
"""A sentence: up to a full stop or semicolon that ends it (not the point of ``0.1``)."""

ENGINE = (
    "needs the account, an order, the book or the clock: the market engine's part, not the"
    " rules layer's"
)
SERVER = "enforced by the server's security checks"
ADVISORY = "describes behaviour, a default or an answer, not a refusal"
NOT_CHECKABLE = "not checkable by the simulator"
EXPLAINED: dict[str, str] = {
    # the server's own checks
    "cannot be greater than `60000`": SERVER,
    # state: the engines (spot/, usdm/, engine.py) answer these with Binance's codes
    "Orders with the same `newClientOrderID` can be accepted only": ENGINE,
    "`newQty` must be greater than 0 and less than": ENGINE,
    "is accepted only when the previous one is filled": ENGINE,
    "If both conditions are not met the request will be rejected": ENGINE,
    "If the `cancelRestrictions` value is not any of the supported values": ENGINE,
    "If the order did not pass the conditions for `cancelRestrictions`": ENGINE,
    "Cancel will succeed if": ENGINE,
    "If the cancel request fails": ENGINE,
    "new order placement will be attempted even if": ENGINE,
    "will only attempt to cancel the order if account": ENGINE,
    "rejected if the order immediately matches": ENGINE,
    "Any order with an `icebergQty` MUST have `timeInForce` set to `GTC`": ENGINE,
    "only supports `LIMIT` and `MARKET` orders": "the spec's enum for `type` lists only them",
    "If the symbol has never had a reference price set": ENGINE,
    "If the value provided to `symbol` or `symbols` do not exist": ENGINE,
    "It must be sent in Hedge Mode": ENGINE,
    "It must be sent with Hedge Mode": ENGINE,
    "In Hedge Mode,cannot be used with": ENGINE,
    "and cannot be used with `SELL` orders in `SHORT` position side": ENGINE,
    "`activatePrice` should be": ENGINE,
    "`activationPrice` should be": ENGINE,
    "the modify request is rejected with error code `-5047`": ENGINE,
    "One order can only be modfied for less than 10000 times": ENGINE,
    "The goodTillDate timestamp must be greater than the current time": ENGINE,
    "If the queried order has been filled or cancelled": ENGINE,
    "`quoteId` will be returned only if you have enough funds": ENGINE,
    'difference rate between "MARK_PRICE" and "CONTRACT_PRICE" cannot be larger': ENGINE,
    "`batchOrders` must be a JSON array": "read by the parameter reader (ARRAY of OBJECT)",
    "Can only be string following the rule": "read by the parameter reader (client ids)",
    "Only `PRICE_LEVEL` is supported": "the spec's enum lists only it",
    "only trade histories within the past 48 hours": ADVISORY,
    "Asset BNFCR is only available to convert for MICA region users": NOT_CHECKABLE
    + " (the account's region)",
    "Supports up to three decimal places of precision": SERVER,
    "The maximum is 2 calls per minute": "a rate of its own: the server's limits'"
    " (limits.py, not this layer); not modelled there",
    "The maximum is symbol-specific": ENGINE,
    "must be > now + 600 s": ENGINE,
    "Additional mandatory parameters    |": "the table's header row",
    "Cannot be used with `quantity` pa": "read from `quantity`'s own sentence (close_all_forbids)",
    "Cannot be used with `reduceOnly` parameter": "read from `reduceOnly`'s own sentence"
    " (close_all_forbids)",
    "Cannot be sent in Hedge Mode": ENGINE,
    "Maximum: 1000": "``limit``'s own maximum, read by endpoints.py and the parameter"
    " reader (-1130)",
    "Max 5 orders": "read by the parameter reader (batch size, -4082)",
    "Maximum number of records to return": "``limit``'s maximum: endpoints.DOCUMENTED_LIMITS"
    " (Binance's pages), read by the parameter reader (-1130)",
    "Only `CONDITIONAL` is supported": "the spec's enum lists only it",
    "Must match `^[": "read by the parameter reader (client ids, -1100)",
    "Only hours (e.g": "the handler reads ``timeZone``'s format (-1130)",
    "Only for isolated symbol": ENGINE,
    "Only for composite index symbols": ADVISORY,
    "Only meaningful for Classic Portfolio Margin accounts": ADVISORY,
    "This is also known as a POST-ONLY order": ADVISORY,
    "Used with `STOP/STOP_MARKET` or `TAKE_PROFIT/TAKE_PROFIT_MARKET` orders": "the purpose of"
    " the parameter; Binance's futures pages do not say another type refuses it",
    "Used with `STOP_MARKET` or `TAKE_PROFIT_MARKET`": "the purpose of the parameter;"
    " Binance's futures pages do not say another type refuses it",
    "Used with `TRAILING_STOP_MARKET` orders": "the purpose of the parameter (a default);"
    " the table by type requires callbackRate for TRAILING_STOP_MARKET",
    "Used with `STOP_LOSS`, `STOP_LOSS_LIMIT`, `TAKE_PROFIT`, and `TAKE_PROFIT_LIMIT`": ENGINE
    + " (Spot's engine answers -1106 for a stopPrice its type does not take)",
    "Used with `STOP_LOSS_LIMIT` leg to make an iceberg order": ENGINE,
    "Used with `LIMIT` to create an iceberg order": ENGINE,
    # provenance and retention notes
    "Only market trades will be": ADVISORY,
    "Only support querying": "data retention (the answers hold nothing older), not a refusal",
    "Only supports data from within the last one month": "data retention, not a refusal",
    "Only the data of the latest": "data retention, not a refusal",
    "Binance documents this COIN-M endpoint only in the CM/UM integration notice": ADVISORY,
    "the only page is the USD-M one": ADVISORY,
    "Order modify history longer than 3 month is not avaliable": ADVISORY,
    # advisory, defaults, answers
    "emits only the non-zero balances": ADVISORY,
    "neither parameter is sent": ADVISORY,
    "the most recent": ADVISORY,
    "will get orders >=": ADVISORY,
    "will get trades >=": ADVISORY,
    "is not required": ADVISORY,
    "If limit > 5000, only 5000 entries will be returned": ADVISORY,
    "If `permissions` parameter not provided": ADVISORY,
    "means you may place an order if your account has either permission": ADVISORY,
    "means you can place an order if your account has permission": ADVISORY,
    "kline intervals are interpreted in that timezone": ADVISORY,
    "If the symbol is not sent": ADVISORY,
    "If both `orderId` and `origClientOrderId` are provided": ADVISORY,
    "If both orderListId and listClientOrderId parameters are provided": ADVISORY,
    "If both `cancelOrderId` and `cancelOrigClientOrderId` parameters are provided": ADVISORY,
    "is always better when only `orderId` is sent": ADVISORY,
    "If `pegPriceType` is specified": "read (optional_if) by the sentence's first half",
    "Otherwise, it is still mandatory": "read with the sentence before it (optional_if)",
    "Used with `LIMIT`, `STOP_LOSS_LIMIT`, and `TAKE_PROFIT_LIMIT`": ENGINE,
    "`pegPriceType=PRIMARY_PEG` means": ADVISORY,
    "`pegPriceType=MARKET_PEG` means": ADVISORY,
    "These parameters are allowed for `LIMIT`, `LIMIT_MAKER`": ENGINE,
    "Any `LIMIT` or `LIMIT_MAKER` type order can be made an iceberg": ENGINE,
    "`trailingDelta` can be combined with `stopPrice`": ADVISORY,
    "will not break `LOT_SIZE` filter rules": ENGINE,
    "Depending on the `pendingType` or `workingType`": ENGINE,
    "Depending on the `pendingAboveType`/`pendingBelowType`": ENGINE,
    "Additional mandatory parameters|": "the table's header row",
    "|Type ": "the table's header row",
    "Type | Additional mandatory parameters": "the table's header row",
    "Units cannot be combined": ENGINE,
    "is not allowed)": ENGINE,
    "Sending both `startTime`/`endTime` and `fromId` might cause response timeout": ADVISORY,
    'If "autoCloseType" is not sent': ADVISORY,
    'If "startTime" is not sent': ADVISORY,
    "If the number of data between `startTime` and `endTime` is larger than `limit`": ADVISORY,
    "If `incomeType ` is not sent": ADVISORY,
    "the recent 7-day data will be returned": ADVISORY,
    "Income history only contains data for the last three months": ADVISORY,
    "If not defined for both fromAsset and toAsset": ADVISORY,
    "If parameter`priceProtect`is sent as true": ADVISORY,
    "For `TRAILING_STOP_MARKET`, if you got such error code": ADVISORY,
    "If triggered": ADVISORY,
    "is only effective when `timeInForce`": ADVISORY,
    "order the timestamp only retains second-level precision": ADVISORY,
    "If `newOrderRespType` is sent as `RESULT`": ADVISORY,
    "If `newOrderRespType ` is sent as `RESULT`": ADVISORY,
    "which is different from dapi modify order endpoint": "read (the same sentence's rule)",
    "`true` but the original order's `reduceOnly` attribute is `false`": ENGINE,
    "the last 7 days' data will be returned": ADVISORY,
    "for One-way Mode user": ADVISORY,
    "If omitted, it is not included in the response": ADVISORY,
    "current timestamp will be set as `endTime`": ADVISORY,
    "If `startTime` is sent only": ADVISORY,
    "If `endTime` is sent only": ADVISORY,
    "If neither `marginAsset` nor `pair` is sent": ADVISORY,
    "If a pair is sent": ADVISORY,
    "If either a pair or symbol is sent": ADVISORY,
    "If omitted, returns aggregated data": ADVISORY,
    "Either `quantity` or `price` must be sent": "read (one_of), superseded by the CM rule",
    "time if not pass": ADVISORY,
    "Automatically generated if not sent": ADVISORY,
    "If not sent, one will be randomly generated": ADVISORY,
    "The allowed enums is dependent on what is configured on the symbol": ENGINE,
    "The allowed values are dependent on what is configured on the symbol": ENGINE,
    "`MARKET` and `LIMIT` order types default to `FULL`": ADVISORY,
    "Note that `MARKET` orders using `quoteOrderQty` are not supported": ENGINE,
    "only be used in combination with `symbol`": "read (needs)",
    "The maximum number of symbols": "read (most_symbols)",
}
"""Sentence fragments -> why the rules layer does not read that sentence."""


@dataclass(frozen=True, slots=True)
class Row:
    where: str
    sentence: str
    status: str
    explained_by: str | None = None

    @property
    def reason(self) -> str:
        return EXPLAINED.get(self.explained_by or "", "")


def texts() -> Iterator[tuple[str, str]]:
    """``(where, text)`` of every endpoint note and parameter description."""
    for market in MARKETS:
        entries = json.loads(spec_text(f"binance-{market}-rest.json"))
        if market == "coinm":
            entries += json.loads(spec_text("binance-coinm-rest-extra.json"))
        for entry in entries:
            where = f"{market} {entry['method']} {entry['path']}"
            for note in entry.get("notes") or ():
                yield f"{where} (note)", note
            for param in entry["params"]:
                if param.get("description"):
                    yield f"{where} {param['name']}", param["description"]


def _covers(text: str, fragment: str, start: int, end: int) -> bool:
    """Whether ``fragment`` occurs in ``text`` overlapping ``start``..``end`` (an
    explanation may span the sentence splitter's cut, as in "(e.g. ``1d2h``...)")."""
    at = text.find(fragment)
    while at != -1:
        if at < end and start < at + len(fragment):
            return True
        at = text.find(fragment, at + 1)
    return False


def inventory() -> list[Row]:
    """Every rule-like sentence, where it is, and what the simulator does with it."""
    rows: dict[tuple[str, str], Row] = {}
    for where, text in texts():
        spans = [m.span() for pattern in SENTENCE_PATTERNS for m in pattern.finditer(text)]
        for found in SENTENCE.finditer(text):
            sentence = found.group().strip()
            if not sentence or not RULE_WORDS.search(sentence):
                continue
            start, end = found.span()
            if any(a < end and start < b for a, b in spans):
                row = Row(where, sentence, "read")
            else:
                fragment = next((f for f in EXPLAINED if _covers(text, f, start, end)), None)
                status = "explained" if fragment else "unexplained"
                row = Row(where, sentence, status, fragment)
            rows.setdefault((where, sentence), row)
    return list(rows.values())


if __name__ == "__main__":
    for row in sorted(inventory(), key=lambda r: (r.status, r.where)):
        reason = f" -- {row.reason}" if row.reason else ""
        print(f"[{row.status}] {row.where}: {row.sentence[:160]}{reason}")
