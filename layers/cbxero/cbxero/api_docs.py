"""The API's one OpenAPI document: the Settings function's routes, the OAuth function's (generated
from its own resolver into functions/settings/oauth_openapi.json by `make openapi`), and a
description for every operation, kept here in one place for both functions."""

from __future__ import annotations

from typing import Any

METHODS = ("get", "put", "post", "patch", "delete")

DESCRIPTIONS: dict[str, str] = {
    # OAuth function
    "GET /xero/connect": (
        "Starts connecting the caller's Xero organisation: checks `return_url` (scheme, host "
        "and port) against the allowed store hosts and answers the Xero authorization link and "
        "a one-time `verifier` that the starting page keeps (never in a URL) to finish with "
        "`POST /xero/connection/complete`. `history_from` (optional: a date, or a date-time "
        "with its offset, not in the future, at most two years back) is where history starts "
        "once connected, unless a start was chosen before."
    ),
    "GET /xero/callback": (
        "Where Xero sends the browser back after consent (public: the signed single-use state "
        "names the flow). Holds the grant as pending and redirects to the store page with "
        "`xero=pending&flow=...`, or `xero=error&reason=...`; a forged state gets a plain page. "
        "Nothing is connected here."
    ),
    "POST /xero/connection/complete": (
        "Finishes a connection: connects only for the reseller and user who started it, with "
        "the starting page's `verifier` and the `flow` handle the consenting browser received. "
        "Anything else connects nothing and revokes the consent at Xero."
    ),
    "GET /xero/connection": (
        "The caller's Xero connection: status, organisation, scopes, the organisations "
        "to choose from and a pending organisation switch; never a token. `live=true` first "
        "asks Xero whether the organisation is still connected to the app: one disconnected "
        "inside Xero (Connected Apps) then reads `reconnect_needed`, with an action-required "
        "Action Log entry saying so."
    ),
    "PUT /xero/connection/tenant": (
        "Chooses which of the consented Xero organisations the connection uses (the others are "
        "disconnected at Xero). Switching from the organisation the links and mappings belong "
        "to needs `confirm_switch: true`, which sets them aside. Naming the organisation "
        "already connected changes nothing."
    ),
    "DELETE /xero/connection": (
        "Disconnects: removes the connection at Xero, revokes the refresh token and forgets "
        "the tokens."
    ),
    # Settings function: settings
    "GET /settings": "The reseller's settings (the defaults before the first save), with an ETag.",
    "PUT /settings": (
        "Replaces the settings: a field left out is reset to its default. `If-Match` with an "
        "older ETag is refused with 412. Every change is logged with its actor."
    ),
    "PATCH /settings": "Changes only the settings sent; `If-Match` as for PUT.",
    # customers
    "GET /customers": (
        "The reseller's marketplace customers with their Xero contact, auto-sync switch and "
        "what an incomplete profile lacks (`unmapped=true`: those without a contact)."
    ),
    "PUT /customers/{customerId}": (
        "Maps a customer to an existing Xero contact and/or switches its auto-sync."
    ),
    "POST /customers/import": (
        "Links or makes a Xero contact for every customer: made, matched, and incomplete "
        "profiles with what is missing."
    ),
    "PUT /customers/auto-sync": "Switches auto-sync for many customers at once.",
    "GET /customers/{customerId}/suggestions": (
        "Xero contacts that may be this customer (by email or name): suggestions only, "
        "never linked without the reseller's word."
    ),
    "POST /customers/{customerId}/xero-contact": (
        "Makes a Xero contact from the customer's profile and links it."
    ),
    "DELETE /customers/{customerId}/xero-contact": "Unlinks the customer's Xero contact.",
    "POST /customers/{customerId}/sync": (
        "Checks the customer's new orders and syncs them now (queued for the worker)."
    ),
    # products and fees
    "GET /products": (
        "The marketplace products with their Xero item mapping (`unmapped=true`: those "
        "without one)."
    ),
    "PUT /products/{mpn}": (
        "Maps a product to a Xero item; a second product on one item is a 409 unless the "
        "settings allow many to one."
    ),
    "DELETE /products/{mpn}": "Removes a product's Xero item mapping.",
    "POST /products/{mpn}/xero-item": (
        "Makes a Xero item from the product (code and name fitted to Xero's lengths, both "
        "reported) and maps it."
    ),
    "GET /fees": "The fee mappings (the cancellation fee's Xero item).",
    "PUT /fees/cancellation": "Maps the cancellation fee to a Xero item.",
    # Xero look-ups
    "GET /xero/contacts": (
        "Xero contacts of the connected organisation. `search=` keeps those with it in their "
        "name, number or email, in any case (Xero's `searchTerm`)."
    ),
    "GET /xero/items": "Xero items of the connected organisation.",
    "GET /xero/accounts": (
        "Xero accounts of the connected organisation. `purpose=revenue` keeps those a sales "
        "account may be chosen from (ACTIVE, class REVENUE, no system account); `purpose=bank` "
        "the ACTIVE bank accounts (for payments)."
    ),
    "GET /xero/tax-rates": (
        "Xero tax rates of the connected organisation; `purpose=revenue` keeps the ACTIVE ones "
        "that can apply to revenue (those a tax type may be chosen from)."
    ),
    "GET /xero/tracking-categories": (
        "The organisation's ACTIVE tracking categories with their ACTIVE options (at most two "
        "are chosen per product mapping or customer)."
    ),
    # tasks
    "GET /tasks": (
        "Sync tasks, newest first, filtered by status, type, customer and time; paged with an "
        "opaque cursor."
    ),
    "GET /tasks/{taskId}": (
        "One task and the lines syncing it would send now; each planned line's order line "
        "(`invoice_line_indexes`) is the `index` a sync by hand's edit names."
    ),
    "POST /tasks/check-changes": (
        "Queues a look for new orders, for one customer or all: tasks are created, not processed."
    ),
    "POST /tasks/sync": "Syncs several tasks by hand.",
    "POST /tasks/{taskId}/sync": (
        "Syncs one task by hand, its lines edited first, onto a new, the latest or a given invoice."
    ),
    "POST /tasks/{taskId}/ignore": "Ignores a task, with a reason.",
    "POST /tasks/{taskId}/unignore": "Returns an ignored task to `new`.",
    "POST /tasks/{taskId}/retry": "Retries a failed or waiting task now.",
    "POST /tasks/bulk": (
        "Ignores (with a reason), un-ignores, retries or syncs every task a filter selects (the "
        "filters of GET /tasks), `limit` a call, or the tasks `filter.task_ids` names (the rows "
        "selected): answers how many changed and which were skipped and why, and `next_cursor` "
        "to continue. Each change is logged."
    ),
    # reconcile
    "GET /reconcile": (
        "The drift report for a period of at most 366 days (`from`, `to`): every difference "
        "between the marketplace's orders, the tasks and Xero's documents, contacts and items, "
        "with what it concerns and the repairs that fit. Acknowledged ones are not listed."
    ),
    "POST /reconcile/repairs": (
        "Repairs one difference of the report, on the reseller's word: create_task, resync, "
        "remake (a voided or deleted document), adopt (an existing Xero document, nothing "
        "sent), remap (a customer's contact, a product's item) or ignore (with a reason). A "
        "difference no longer there is a 409. Logged with its actor."
    ),
    # dashboard
    "GET /dashboard": (
        "The connection, the Xero calls left today, tasks by status and type, the last and next "
        "scheduled run, the oldest waiting task and the drift the daily run last found."
    ),
    # Action Log and notifications
    "GET /action-log": (
        "The Action Log, newest first, filtered by time, status, action and customer; paged."
    ),
    "GET /action-log/{entryId}": "One Action Log entry.",
    "GET /notifications": "Unread notifications, at the level the settings choose.",
    "POST /notifications/{entryId}/read": "Marks one notification read.",
    "POST /notifications/read-all": "Marks every notification read.",
    # history
    "GET /history": (
        "Where history starts (chosen, or the default month back) and the back-fill's progress: "
        "tasks done (synced, ignored) and waiting, the organisation's Xero budget today, and "
        "the estimated time to work through what waits."
    ),
    "POST /history": (
        "Chooses the start date (`from`: a date, or a date-time with its offset; not in the "
        "future, not more than two years back; else 400 naming `from`). An earlier start than "
        "before re-reads every customer from there; tasks already made stay as they are."
    ),
    "GET /openapi.json": "This document: every route of the API, OAuth included (public).",
}


# The store UI's screens, in its order: each operation is tagged with the first whose path
# prefix it starts with, and Swagger UI lists them so.
SCREENS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "Xero connection",
        ("/xero/connect", "/xero/callback"),
        "Connect, choose and disconnect the Xero organisation (OAuth function)",
    ),
    ("Settings", ("/settings",), "The reseller's sync settings"),
    ("Dashboard", ("/dashboard",), "The integration at a glance"),
    ("Customers", ("/customers",), "Marketplace customers, their Xero contacts and auto-sync"),
    ("Products", ("/products",), "Product to Xero item mappings"),
    ("Fees", ("/fees",), "Fee mappings (the cancellation fee's item)"),
    ("Xero look-ups", ("/xero/",), "Contacts, items, accounts, tax rates and tracking from Xero"),
    ("Tasks", ("/tasks",), "One task per order: list, inspect, sync by hand, ignore, retry"),
    ("Reconcile", ("/reconcile",), "The drift report between the books and its repairs"),
    ("Action Log", ("/action-log",), "What happened, by whom, newest first"),
    ("Notifications", ("/notifications",), "Unread Action Log entries, per the settings"),
    ("History", ("/history",), "How far back to look, and the back-fill's progress"),
    ("Document", ("/openapi.json",), "This OpenAPI document"),
)


def _screen(path: str) -> int:
    return next(
        (i for i, (_, prefixes, _) in enumerate(SCREENS) if path.startswith(prefixes)),
        len(SCREENS) - 1,
    )


# The routes API Gateway serves without the JWT authorizer (template.yaml: Authorizer NONE);
# tests/integration/test_openapi_document.py holds this to the template.
PUBLIC = frozenset({"GET /xero/callback", "GET /openapi.json"})


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of a document by "METHOD /path"."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in METHODS
    }


def whole_document(settings: dict[str, Any], oauth: dict[str, Any]) -> dict[str, Any]:
    """The Settings function's document with the OAuth function's paths and schemas added, and
    each operation described (an operation with no description here keeps none: a test finds
    it)."""
    paths = settings.setdefault("paths", {})
    for path, item in oauth.get("paths", {}).items():
        paths.setdefault(path, {}).update(item)
    schemas = settings.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in oauth.get("components", {}).get("schemas", {}).items():
        if schemas.setdefault(name, schema) != schema:  # one name, two shapes: a route lies
            raise ValueError(f"schema {name} has two shapes: rename one model")
    settings["paths"] = {
        path: paths[path] for path in sorted(paths, key=lambda p: (_screen(p), p.count("{"), p))
    }
    settings["tags"] = [{"name": name, "description": text} for name, _, text in SCREENS]
    for key, operation in operations(settings).items():
        operation["tags"] = [SCREENS[_screen(key.split(" ", 1)[1])][0]]
        if key in DESCRIPTIONS:
            operation["description"] = DESCRIPTIONS[key]
            operation["summary"] = _first_sentence(DESCRIPTIONS[key])
    return settings


def _first_sentence(text: str) -> str:
    """A summary for the operation list: the description up to its first stop or colon, as
    plain text (Swagger UI shows a summary's Markdown backticks as they are)."""
    for stop in (". ", ": ", " ("):
        text = text.split(stop, 1)[0]
    return text.rstrip(".").replace("`", "")
