"""Preferences, saved addresses, the invoice title, phone binding, and what checkout reads of them (DESIGN.md §3).

The one default address is `Preference.default_address_id`, so there can never be two; every change to it
is a conditional update, which is what keeps concurrent requests from undoing each other.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from app.auth import service as auth
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import newest_first
from app.core.security import new_id
from app.core.serialize import view
from app.deps import Deps
from app.preferences import cache
from app.preferences.models import Address, InvoiceTitle, Preference
from app.preferences.schemas import (
    AddressIn, AddressOut, InvoiceIn, InvoiceOut, PhoneOut, PreferencesOut, PreferencesPatch,
)

log = logging.getLogger("yijian.preferences")

ADDRESS_FIELDS = ("name", "phone", "province", "city", "district", "detail", "postal_code", "national_code")
INVOICE_FIELDS = ("type", "title", "tax_number", "company_address", "telephone", "bank_name", "bank_account")


# What the API answers (the response models of schemas.py)

def address_view(address: Address, default_address_id: Optional[str]) -> dict[str, Any]:
    """Whether an address is the default is the preference's to say, not the address row's."""
    return view(AddressOut, address, is_default=address.id == default_address_id)


def invoice_view(invoice: Optional[InvoiceTitle]) -> Optional[dict[str, Any]]:
    return None if invoice is None else view(InvoiceOut, invoice)


def preferences_view(preference: Optional[Preference], invoice: Optional[InvoiceTitle]) -> dict[str, Any]:
    """A user without a Preference row has its defaults (an unsaved row): no method, no address, one-tap on."""
    return view(PreferencesOut, preference or Preference(), invoice=invoice_view(invoice))


# Preferences

async def _preference_or_none(user_id: str) -> Optional[Preference]:
    return await Preference.get_or_none(user_id=user_id)


async def ensure_preference(user_id: str) -> None:
    """Create the user's Preference row on first write (get_or_create survives a concurrent create)."""
    _, created = await Preference.get_or_create(user_id=user_id)
    if created:
        await cache.changed(user_id)


async def get_preferences(user_id: str) -> dict[str, Any]:
    preference, invoice = await asyncio.gather(_preference_or_none(user_id), InvoiceTitle.get_or_none(user_id=user_id))
    return preferences_view(preference, invoice)


async def update_preferences(user_id: str, patch: PreferencesPatch) -> dict[str, Any]:
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    if changes:
        await ensure_preference(user_id)
        async with in_transaction():
            new_default = changes.get("default_address_id")
            # Locked (PostgreSQL) so that the address cannot be deleted between this check and the update.
            if new_default is not None and not await Address.filter(
                id=new_default, user_id=user_id,
            ).select_for_update().exists():
                raise ValidationFailed.one("default_address_id", "is not one of your addresses")
            await Preference.filter(user_id=user_id).update(**changes)
            await cache.changed(user_id)
    return await get_preferences(user_id)


# Addresses

async def _default_address_id(user_id: str) -> Optional[str]:
    rows = await Preference.filter(user_id=user_id).values_list("default_address_id", flat=True)
    return rows[0] if rows else None


async def list_addresses(user_id: str, limit: int, before_id: Optional[str]) -> list[dict[str, Any]]:
    """Newest first (ids sort by creation time); `before_id` is the last id of the previous page.

    Answers up to limit+1 addresses, which is what `app.core.http.page` needs to tell whether more follow.
    """
    page = newest_first(Address.filter(user_id=user_id), limit, before_id, id_prefix="adr")
    addresses, default_id = await asyncio.gather(page, _default_address_id(user_id))
    return [address_view(address, default_id) for address in addresses]


async def _own_address(user_id: str, address_id: str, *, lock: bool = False) -> Address:
    query = Address.filter(id=address_id, user_id=user_id)
    address = await (query.select_for_update() if lock else query).get_or_none()
    if address is None:  # another user's address is as unknown as one that never existed
        raise NotFound()
    return address


async def get_address(user_id: str, address_id: str) -> dict[str, Any]:
    address, default_id = await asyncio.gather(_own_address(user_id, address_id), _default_address_id(user_id))
    return address_view(address, default_id)


async def _apply_default_choice(user_id: str, address_id: str, is_default: Optional[bool], *, new: bool) -> None:
    if is_default:
        await Preference.filter(user_id=user_id).update(default_address_id=address_id)
    elif is_default is False:
        await Preference.filter(user_id=user_id, default_address_id=address_id).update(default_address_id=None)
    if new and not is_default:
        # The first address (more exactly: any new one while there is no default) becomes the default.
        # Conditional, so two concurrent first saves leave one default and the later one does not take it.
        await Preference.filter(user_id=user_id, default_address_id=None).update(default_address_id=address_id)


async def create_address(user_id: str, data: AddressIn) -> dict[str, Any]:
    await ensure_preference(user_id)
    async with in_transaction():
        fields = data.model_dump(include=set(ADDRESS_FIELDS))
        address = await Address.create(id=new_id("adr"), user_id=user_id, **fields)
        await _apply_default_choice(user_id, address.id, data.is_default, new=True)
        await cache.changed(user_id)
    return address_view(address, await _default_address_id(user_id))


async def replace_address(user_id: str, address_id: str, data: AddressIn) -> dict[str, Any]:
    """PUT: every field is replaced (omitted optional ones become empty); `is_default` absent keeps the default."""
    await ensure_preference(user_id)
    async with in_transaction():
        address = await _own_address(user_id, address_id, lock=True)
        for name in ADDRESS_FIELDS:
            setattr(address, name, getattr(data, name))
        await address.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
        await _apply_default_choice(user_id, address.id, data.is_default, new=False)
        await cache.changed(user_id)
    return address_view(address, await _default_address_id(user_id))


async def delete_address(user_id: str, address_id: str) -> None:
    """Deleting the default makes the newest remaining address the default (or leaves none)."""
    async with in_transaction():
        if not await Address.filter(id=address_id, user_id=user_id).delete():
            raise NotFound()
        newest = await Address.filter(user_id=user_id).order_by("-id").limit(1).values_list("id", flat=True)
        await Preference.filter(user_id=user_id, default_address_id=address_id).update(
            default_address_id=newest[0] if newest else None,
        )
        await cache.changed(user_id)


# Invoice title

async def get_invoice(user_id: str) -> dict[str, Any]:
    """The saved title; 404 NOT_FOUND when the user has none."""
    invoice = await InvoiceTitle.get_or_none(user_id=user_id)
    if invoice is None:
        raise NotFound()
    return invoice_view(invoice)


async def put_invoice(user_id: str, data: InvoiceIn) -> dict[str, Any]:
    if data.type == "company" and not data.tax_number:
        raise ValidationFailed.one("tax_number", "is required for a company title")
    values = data.model_dump(include=set(INVOICE_FIELDS))
    invoice, _ = await InvoiceTitle.update_or_create(defaults=values, user_id=user_id)
    await cache.changed(user_id)
    return invoice_view(invoice)


async def delete_invoice(user_id: str) -> None:
    """Idempotent: deleting a title that is not there is not an error."""
    await InvoiceTitle.filter(user_id=user_id).delete()
    await cache.changed(user_id)


# Phone (getPhoneNumber)

def mask_phone(phone: str) -> str:
    """`13800138000` → `138****8000`; short numbers keep only their last two digits."""
    if len(phone) >= 8:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


async def bind_phone(deps: Deps, user_id: str, code: str) -> dict[str, str]:
    phone = await deps.miniprogram.phone_number(code)
    masked = mask_phone(phone)
    await auth.store_phone(user_id, deps.cipher.encrypt(phone, context=f"phone:{user_id}"), masked)
    log.info("phone bound", extra={"fields": {"user_id": user_id}})  # never the number, not even masked
    return view(PhoneOut, {"phone_masked": masked})


# Checkout

async def checkout_context(user_id: str, token: Optional[str]) -> cache.CheckoutContext:
    """Preference, default address and invoice title, from memory when loaded under `token` (the user's counter
    as read by this request), else from the database (three reads at once)."""
    async def load() -> cache.CheckoutContext:
        return cache.CheckoutContext(*await checkout_defaults(user_id))
    return await cache.contexts.get(user_id, token, load)


async def checkout_choices(user_id: str, address_id: Optional[str], *, cached: bool = False,
                           token: Optional[str] = None) -> tuple[Optional[Preference], Optional[dict]]:
    """The user's preference row and the address a checkout would use: the one named, else the default.
    `cached`: through `checkout_context` (the default address, or one named that is the default).

    A named address that is not the user's is a VALIDATION_FAILED on `address_id` (the body is wrong).
    """
    if cached:
        context = await checkout_context(user_id, token)
        if address_id is None or (context.default_address or {}).get("id") == address_id:
            return context.preference, context.default_address
    preference = await _preference_or_none(user_id)
    wanted = address_id or (preference.default_address_id if preference else None)
    if wanted is None:
        return preference, None
    address = await Address.get_or_none(id=wanted, user_id=user_id)
    if address is None:
        if address_id:
            raise ValidationFailed.one("address_id", "is not one of your addresses")
        return preference, None
    default_id = preference.default_address_id if preference else None
    return preference, address_view(address, default_id)



async def checkout_defaults(user_id: str) -> tuple[Optional[Preference], Optional[dict], Optional[dict]]:
    """What checkout prefill shows of the user's own: the preference row, the default address and the invoice
    title, read in parallel (the default address through a subquery)."""
    default_address = Address.filter(
        user_id=user_id,
        id__in=Subquery(Preference.filter(user_id=user_id).values("default_address_id")),
    ).first()
    preference, address, invoice = await asyncio.gather(
        _preference_or_none(user_id), default_address, InvoiceTitle.get_or_none(user_id=user_id))
    return preference, address_view(address, address.id) if address else None, invoice_view(invoice)
