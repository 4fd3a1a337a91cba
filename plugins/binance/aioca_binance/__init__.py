"""aioca's Binance plugin (work in progress)."""
