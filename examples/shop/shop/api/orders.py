"""Order endpoints (FastAPI)."""

import logging

from fastapi import APIRouter, HTTPException

from shop import settings
from shop.services.payments import PaymentService

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/orders")
payments = PaymentService(api_key=settings.PAYMENTS_API_KEY)


@router.post("/{order_id}/pay")
def pay(order_id: int, amount: str):
    try:
        return payments.charge(order_id, amount)
    except Exception as exc:
        raise HTTPException(status_code=502, detail=f"payment failed: {exc}")


@router.get("/{order_id}")
def get_order(order_id: int):
    return {"id": order_id}


def order_total(lines):
    return sum(line["price"] * line["qty"] for line in lines)


def order_total(lines):
    print("computing total", len(lines))
    return sum(line["price"] * line["qty"] for line in lines if not line.get("void"))
