"""`make dev` as a person drives it: a connect by hand can choose between organisations and
switch to another one, as the banner and the README promise."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from local import dev
from local.stack import DEMO_RESELLER


def test_a_connect_by_hand_offers_organisations_to_choose_and_switch_to(
    dynamodb_local: str,
) -> None:
    # It once had one organisation: the consent page offered nothing to choose, and neither
    # `choose_tenant` nor a switch to another organisation could be tried.
    with dev.open_stack(dynamodb_endpoint=dynamodb_local, quiet=True) as stack:
        customer = dev.prepare(stack)
        assert "/store/xero" in dev.banner(stack, customer["id"])
        orgs = list(stack.xero.organisations.values())
        assert len(orgs) >= 2
        assert all(set(org.items) == set(orgs[0].items) for org in orgs)  # each can be mapped
        started = stack.api("GET", "/xero/connect", params={"return_url": stack.store_page})
        link, verifier = started.json()["authorization_url"], started.json()["verifier"]
        browser = requests.Session()
        page = browser.get(link, timeout=30)
        assert all(org.name in page.text for org in orgs)
        form = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        allowed = browser.post(
            f"{stack.xero_server.url}/identity/connect/consent",
            data={**form, "tenant": [org.tenant_id for org in orgs], "decision": "allow"},
            allow_redirects=False,
            timeout=30,
        )
        landed = browser.get(allowed.headers["Location"], allow_redirects=False, timeout=30)
        flow = parse_qs(urlsplit(landed.headers["Location"]).query)["flow"][0]
        done = stack.api(
            "POST", "/xero/connection/complete", json={"flow": flow, "verifier": verifier}
        ).json()
        assert done["status"] == "choose_tenant", done
        assert len(done["organisations_to_choose"]) == len(orgs)
        second = orgs[1].tenant_id
        refused = stack.api("PUT", "/xero/connection/tenant", json={"tenant_id": second})
        assert refused.status_code == 409
        switched = stack.api(
            "PUT", "/xero/connection/tenant", json={"tenant_id": second, "confirm_switch": True}
        )
        assert switched.json()["organisation_id"] == second, switched.text
        product = next(iter(stack.marketplace.products.values()))
        remapped = stack.api(
            "PUT",
            f"/products/{product['mpn']}",
            DEMO_RESELLER,
            json={"xero_item_code": product["mpn"][:30]},
        )
        assert remapped.status_code == 200, remapped.text
