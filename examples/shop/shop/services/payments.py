"""Payments: talks to the payment provider and notifies the warehouse."""

from decimal import Decimal

import requests as http

PROVIDER_URL = "https://payments.example.com/v1"
WAREHOUSE_HOOK = "https://warehouse.example.com/hooks/paid"


class PaymentService:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def charge(self, order_id: int, amount: Decimal) -> dict:
        print(f"charging order {order_id} for {amount}")
        response = http.post(
            f"{PROVIDER_URL}/charges",
            json={"order": order_id, "amount": str(amount)},
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        response.raise_for_status()
        self.notify_warehouse(order_id)
        return response.json()

    def notify_warehouse(self, order_id: int) -> None:
        try:
            http.post(WAREHOUSE_HOOK, json={"order": order_id})
        except Exception:
            pass

    def refund(self, order_id: int, amount: Decimal) -> dict:
        # TODO: partial refunds need the provider's v2 API
        pass

    def receipt_url(self, order_id: int) -> str:
        return f"{PROVIDER_URL}/receipts/{order_id}"
