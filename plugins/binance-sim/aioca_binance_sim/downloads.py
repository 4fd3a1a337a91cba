"""The futures markets' asynchronous history downloads (``.../income/asyn`` and the
like): an id for a requested range, then its link, as both futures markets answer them.
A download is "completed" as soon as it has been asked for: the simulator has no queue."""

from __future__ import annotations

from typing import Any

__all__ = ["download_link", "new_download"]

_FIRST_ID = 546_975_389_218_332_672  # the size of Binance's ids
_LINK_MS = 7 * 86_400_000  # how long a link stays valid


def new_download(downloads: dict[str, int], now: int) -> dict[str, Any]:
    """Record a download asked for at ``now`` (ms) in ``downloads``; its id."""
    download_id = str(_FIRST_ID + len(downloads))
    downloads[download_id] = now
    return {"avgCostTimestampOfLast30d": 7241837, "downloadId": download_id}


def download_link(downloads: dict[str, int], download_id: str) -> dict[str, Any]:
    """The link of a download: still "processing" for an id never handed out."""
    created = downloads.get(download_id)
    if created is None:
        return {
            "downloadId": download_id,
            "status": "processing",
            "url": "",
            "notified": False,
            "expirationTimestamp": -1,
            "isExpired": None,
        }
    return {
        "downloadId": download_id,
        "status": "completed",
        "url": f"https://sim.invalid/downloads/{download_id}.csv",
        "notified": True,
        "expirationTimestamp": created + _LINK_MS,
        "isExpired": None,
    }
