"""`make dev` as a person drives it: a connect by hand can choose between organisations and
switch to another one, as the banner and the README promise."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import requests

from local import dev
from local.stack import DEMO_RESELLER, LocalStack


def test_a_connect_by_hand_offers_organisations_to_choose_and_switch_to(
    dynamodb_local: str,
) -> None:
    # It once had one organisation: the consent page offered nothing to choose, and neither
    # `choose_tenant` nor a switch to another organisation could be tried.
    with dev.open_stack(dynamodb_endpoint=dynamodb_local, quiet=True) as stack:
        customer = dev.prepare(stack)
        banner = dev.banner(stack, customer["id"])
        assert "/store/xero" in banner
        # the app, as the store shows it: the banner names the store page, which answers
        assert f"Web app (store page)    {stack.store_url}\n" in banner
        store_page = requests.get(stack.store_url, timeout=30)
        assert store_page.status_code == 200 and stack.app_url in store_page.text
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


def test_the_dev_aids_run_the_poll_and_the_drift_run_that_the_dashboard_shows(
    stack: LocalStack,
) -> None:
    # A newcomer with `make dev` once had no way to see `drift` on the dashboard before the
    # hourly run (not run locally), to run the Xero poll, or to do in Xero by hand what the
    # product must notice (the emulator's API has no void or archive): all 404 under /_dev.
    customer = stack.seed_demo_reseller(
        settings={"auto_sync": "every_5_minutes", "new_invoice_status": "AUTHORISED"}
    )
    order = stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    (task,) = stack.api("GET", "/tasks", params={"customer_id": customer["id"]}).json()["items"]
    assert task["order_id"] == order["id"]
    by_hand = f"{stack.front_url}/_dev/xero/by-hand"
    document = {"id": task["document"]["id"]}
    # as the banner's curl -d sends it: a JSON body under a form's content type
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    voided = requests.post(f"{by_hand}/void", data=json.dumps(document), headers=form, timeout=30)
    assert voided.status_code == 200 and voided.json()["xero"]["Status"] == "VOIDED"
    again = requests.post(f"{by_hand}/void", json=document, timeout=30)
    assert again.status_code == 409 and "Xero refuses it" in again.json()["message"]
    assert requests.post(f"{by_hand}/void", json={}, timeout=30).status_code == 400
    unknown = requests.post(f"{by_hand}/archive-contact", json={"id": "nope"}, timeout=30)
    assert unknown.status_code == 404
    assert requests.post(f"{by_hand}/pay", json=document, timeout=30).status_code == 404
    polled = requests.post(f"{stack.front_url}/_dev/xero/poll", timeout=30)
    assert polled.status_code == 200 and "poll" in polled.json(), polled.text
    (task,) = stack.api("GET", "/tasks", params={"customer_id": customer["id"]}).json()["items"]
    assert task["xero_side"]["state"] == "voided"
    ran = requests.post(f"{stack.front_url}/_dev/drift/run", timeout=30)
    assert ran.status_code == 200 and ran.json()["drift"]["checked"] == 1, ran.text
    drift = stack.api("GET", "/dashboard").json()["drift"]
    assert drift["counts"] == {"document_voided": 1}
    assert "/_dev/drift/run" in dev.banner(stack, customer["id"])
