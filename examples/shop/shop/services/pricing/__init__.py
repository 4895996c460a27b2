"""Prices with tax and discounts (moved here from services/pricing.py)."""

from decimal import Decimal

VAT = Decimal("0.20")


def gross(net: Decimal) -> Decimal:
    return (net * (1 + VAT)).quantize(Decimal("0.01"))
