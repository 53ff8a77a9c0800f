"""Checkout prefill (DESIGN.md §3): everything the checkout page shows before the tap, in one round trip."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from app.checkout.schemas import PrefillOut
from app.core.serialize import view
from app.preferences import service as preferences
from app.preferences.models import Preference
from app.recommendations import service as recommendations
from app.recommendations.ranking import MethodRecommendation, with_default
from app.wallet import service as wallet_service


def choose_payment_method(preference: Optional[Preference], recommendation: MethodRecommendation) -> dict[str, Any]:
    """The user's default unless rule 1 makes it unusable now; else the recommendation (DESIGN.md §3)."""
    default = preference.default_payment_method if preference else None
    return with_default(recommendation, default).to_dict()


async def prefill(user_id: str) -> dict[str, Any]:
    """The preference, default address, invoice and wallet read in parallel, then the recommendations' method,
    offers and buy-again with what was read."""
    (preference, address, invoice), wallet = await asyncio.gather(preferences.checkout_defaults(user_id),
                                                                  wallet_service.view(user_id))
    recommended = await recommendations.recommend(
        user_id, known=recommendations.Known(city=address["city"] if address else None,
                                             wallet_balance_fen=wallet.balance_fen))
    return view(PrefillOut, {
        "address": address, "invoice": invoice, "payment_method": choose_payment_method(preference, recommended.method),
        "wallet": wallet, "offers": recommended.offers, "buy_again": recommended.buy_again,
    })
