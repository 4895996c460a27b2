"""Prices with tax (the old module: `shop.services.pricing` imports the package, not this file)."""

from decimal import Decimal


def gross(net: Decimal) -> Decimal:
    return net * Decimal("1.2")
