"""The HTTP API through the local front: validation, the one error shape, identity, isolation."""

from __future__ import annotations

from local.stack import LocalStack


def test_missing_or_forged_token_is_refused_by_the_authorizer(stack: LocalStack) -> None:
    import requests

    assert requests.get(f"{stack.front_url}/settings", timeout=10).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJyZXNlbGxlcl9pZCI6IngifQ.bad"}
    assert (
        requests.get(f"{stack.front_url}/settings", headers=forged, timeout=10).status_code == 401
    )


def test_a_token_without_the_reseller_claim_is_forbidden(stack: LocalStack) -> None:
    import requests

    from local import tokens

    token = tokens.mint("")
    answer = requests.get(
        f"{stack.front_url}/settings", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"


def test_bad_settings_get_a_422_naming_the_field_and_nothing_is_written(stack: LocalStack) -> None:
    answer = stack.api(
        "PUT", "/settings", json={"price_source": "cheapest", "trim_descriptions": True}
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert [f["field"] for f in body["fields"]] == ["price_source"]
    assert stack.api("GET", "/settings").json()["trim_descriptions"] is False


def test_malformed_json_is_a_4xx_not_a_5xx(stack: LocalStack) -> None:
    answer = stack.api(
        "PUT", "/settings", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= answer.status_code < 500
    assert "code" in answer.json()


def test_settings_round_trip(stack: LocalStack) -> None:
    chosen = {
        "invoice_target": "existing",
        "due_date_terms": {"rule": "OFFOLLOWINGMONTH", "days": 20},
    }
    assert stack.api("PUT", "/settings", json=chosen).status_code == 200
    stored = stack.api("GET", "/settings").json()
    assert stored["invoice_target"] == "existing"
    assert stored["due_date_terms"] == {"rule": "OFFOLLOWINGMONTH", "days": 20}


def test_the_payments_bank_account_is_checked_against_xero_on_save(stack: LocalStack) -> None:
    stack.connect_xero()
    refused = stack.api(
        "PATCH", "/settings", json={"push_payments": True, "payments_account_code": "200"}
    )
    assert refused.status_code == 400
    assert [f["field"] for f in refused.json()["fields"]] == ["payments_account_code"]
    assert "not an active bank account" in refused.json()["message"]
    assert stack.api("GET", "/settings").json()["push_payments"] is False  # nothing saved
    chosen = {"push_payments": True, "payments_account_code": "090"}
    assert stack.api("PATCH", "/settings", json=chosen).status_code == 200


def test_unknown_task_is_a_404(stack: LocalStack) -> None:
    answer = stack.api("GET", "/tasks/nope")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_a_reseller_sees_only_its_own_data(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller("reseller-a")
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.fire_schedule("every_5_minutes")
    stack.drain_queue()
    assert len(stack.api("GET", "/tasks", "reseller-a").json()["items"]) == 1
    assert stack.api("GET", "/customers", "reseller-b").json() == []  # a's customer unseen
    empty: dict[str, object] = {"items": [], "next_cursor": None}
    assert stack.api("GET", "/action-log", "reseller-b").json() == empty
    assert stack.api("GET", "/tasks", "reseller-b").json() == {"items": [], "next_cursor": None}
    assert stack.api("GET", "/xero/connection", "reseller-b").json()["status"] == "not_connected"
    task_id = stack.api("GET", "/tasks", "reseller-a").json()["items"][0]["order_id"]
    for method, path in [
        ("GET", f"/tasks/{task_id}"),
        ("POST", f"/tasks/{task_id}/retry"),
        ("POST", f"/tasks/{task_id}/unignore"),
    ]:
        assert stack.api(method, path, "reseller-b").status_code == 404, path
    ignore = stack.api("POST", f"/tasks/{task_id}/ignore", "reseller-b", json={"reason": "x"})
    assert ignore.status_code == 404
    hand = stack.api("POST", "/tasks/sync", "reseller-b", json={"task_ids": [task_id]})
    assert hand.status_code == 404
    assert stack.api("GET", f"/tasks/{task_id}", "reseller-a").json()["task"]["status"] == "synced"


def test_the_openapi_document_lists_the_routes(stack: LocalStack) -> None:
    import requests

    document = requests.get(f"{stack.front_url}/openapi.json", timeout=10).json()
    assert {"/settings", "/products/{mpn}", "/tasks/{taskId}"} <= set(document["paths"])


def test_connect_refuses_a_foreign_return_url(stack: LocalStack) -> None:
    answer = stack.api("GET", "/xero/connect", params={"return_url": "https://evil.example/"})
    assert answer.status_code == 400
    assert answer.json()["fields"][0]["field"] == "return_url"


def test_callback_with_a_forged_state_is_refused_and_nothing_stored(stack: LocalStack) -> None:
    import requests

    answer = requests.get(
        f"{stack.front_url}/xero/callback", params={"state": "forged", "code": "x"}, timeout=10
    )
    assert answer.status_code == 400  # a plain page: the return URL is not known
    assert answer.headers["Content-Type"].startswith("text/html")
    assert stack.api("GET", "/xero/connection").json()["status"] == "not_connected"


def test_connection_status_never_shows_a_token(stack: LocalStack) -> None:
    stack.connect_xero()
    body = stack.api("GET", "/xero/connection").text
    for grant in stack.xero.access_tokens:
        assert grant not in body
    for grant in stack.xero.refresh_tokens:
        assert grant not in body


def test_disconnect_revokes_at_xero_and_forgets_the_tokens(stack: LocalStack) -> None:
    stack.connect_xero()
    assert stack.xero.refresh_tokens
    answer = stack.api("DELETE", "/xero/connection")
    assert answer.status_code == 204
    assert stack.xero.refresh_tokens == {}
    assert stack.xero.access_tokens == {}
    assert stack.api("GET", "/xero/connection").json()["status"] == "not_connected"
    assert stack.api("DELETE", "/xero/connection").status_code == 204  # idempotent


def test_choosing_a_tenant_that_was_not_granted_is_a_400(stack: LocalStack) -> None:
    stack.connect_xero()
    answer = stack.api("PUT", "/xero/connection/tenant", json={"tenant_id": "not-granted"})
    assert answer.status_code == 400
    assert answer.json()["fields"][0]["field"] == "tenant_id"


def test_a_bad_code_goes_back_to_the_store_with_the_reason(stack: LocalStack) -> None:
    import requests

    started = stack.api("GET", "/xero/connect", params={"return_url": "http://localhost/store/x"})
    state = started.json()["authorization_url"].split("state=")[1].split("&")[0]
    answer = requests.get(
        f"{stack.front_url}/xero/callback",
        params={"state": state, "code": "not-a-code"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://localhost/store/x?xero=error&reason=invalid_grant"
    assert stack.api("GET", "/xero/connection").json()["status"] == "not_connected"


def test_a_missing_code_goes_back_to_the_store_naming_it(stack: LocalStack) -> None:
    import requests

    started = stack.api("GET", "/xero/connect", params={"return_url": "http://localhost/store/x"})
    state = started.json()["authorization_url"].split("state=")[1].split("&")[0]
    answer = requests.get(
        f"{stack.front_url}/xero/callback",
        params={"state": state},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://localhost/store/x?xero=error&reason=missing_code"


def test_stored_tokens_are_sealed_not_plain(stack: LocalStack) -> None:
    import json

    stack.connect_xero()
    items = stack.dynamodb.scan(TableName=stack.tables["TokensTable"])["Items"]
    raw = json.dumps(items, default=str)
    assert "sealed_tokens" in raw
    for token in stack.xero.issued:
        assert token not in raw


def test_settings_carry_an_etag_and_a_stale_one_is_refused(stack: LocalStack) -> None:
    first = stack.api("GET", "/settings")
    assert first.headers["ETag"] == '"0"'  # documented defaults, never saved
    saved = stack.api(
        "PUT", "/settings", json={"trim_descriptions": True}, headers={"If-Match": '"0"'}
    )
    assert (saved.status_code, saved.headers["ETag"]) == (200, '"1"')
    # A second admin, still holding version 0, does not overwrite the first one's save.
    stale = stack.api(
        "PATCH", "/settings", json={"price_source": "xero"}, headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 412
    assert (stale.json()["code"], stale.json()["fields"][0]["field"]) == (
        "precondition_failed",
        "If-Match",
    )
    patched = stack.api(
        "PATCH", "/settings", json={"price_source": "xero"}, headers={"If-Match": '"1"'}
    )
    assert (patched.status_code, patched.headers["ETag"]) == (200, '"2"')
    stored = stack.api("GET", "/settings").json()
    assert (stored["price_source"], stored["trim_descriptions"]) == ("xero", True)
    log = [
        e
        for e in stack.api("GET", "/action-log").json()["items"]
        if e["action"] == "settings_changed"
    ]
    assert log[0]["message"] == "Settings changed: price_source: marketplace -> xero"
    assert log[0]["actor"] == "admin@reseller.example"


def test_a_patch_names_its_bad_field_and_writes_nothing(stack: LocalStack) -> None:
    bad = stack.api("PATCH", "/settings", json={"downgrades": "sometimes"})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["fields"]] == ["downgrades"]
    unknown = stack.api("PATCH", "/settings", json={"colour": "blue"})
    assert unknown.status_code == 422
    garbage = stack.api("PATCH", "/settings", json={}, headers={"If-Match": "yesterday"})
    assert garbage.status_code == 422
    assert stack.api("GET", "/settings").headers["ETag"] == '"0"'


def test_the_action_log_filters_pages_and_notifies(stack: LocalStack) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    stack.marketplace.add_product("NEW-SKU", "Not mapped", "1.00")
    for _ in range(3):  # each becomes a task that waits: an action-required entry
        stack.marketplace.add_order(customer["id"], [("NEW-SKU", 1, "1.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    waiting = stack.api("GET", "/action-log", params={"status": "action_required"}).json()
    assert len(waiting["items"]) == 3
    assert {e["customer_id"] for e in waiting["items"]} == {customer["id"]}
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = stack.api("GET", "/action-log", params=params).json()
        seen += [e["entry_id"] for e in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    everything = stack.api("GET", "/action-log", params={"limit": 200}).json()["items"]
    assert seen == [e["entry_id"] for e in everything] and len(seen) > 3
    assert [e["at"] for e in everything] == sorted((e["at"] for e in everything), reverse=True)
    entry = stack.api("GET", f"/action-log/{seen[0]}").json()
    assert entry["entry_id"] == seen[0]
    assert stack.api("GET", f"/action-log/{seen[0]}", "reseller-other").status_code == 404
    later = stack.api("GET", "/action-log", params={"from": "2100-01-01T00:00:00Z"}).json()
    assert later["items"] == []
    # Notifications: errors and actions required only (the default setting), unread.
    notes = stack.api("GET", "/notifications").json()["items"]
    assert {n["status"] for n in notes} == {"action_required"} and len(notes) == 3
    assert stack.api("POST", f"/notifications/{notes[0]['entry_id']}/read").json() == {"marked": 1}
    assert len(stack.api("GET", "/notifications").json()["items"]) == 2
    intruder = stack.api("POST", f"/notifications/{notes[1]['entry_id']}/read", "reseller-other")
    assert intruder.status_code == 404
    assert stack.api("POST", "/notifications/read-all").json() == {"marked": 2}
    assert stack.api("GET", "/notifications").json()["items"] == []
    assert stack.api("GET", f"/action-log/{notes[1]['entry_id']}").json()["read"] is True


def test_swagger_ui_is_served_from_the_package(stack: LocalStack) -> None:
    import requests

    page = requests.get(f"{stack.front_url}/docs", timeout=10)
    assert page.status_code == 200 and "/openapi.json" in page.text
    script = requests.get(f"{stack.front_url}/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert script.status_code == 200 and len(script.content) > 100_000
    document = requests.get(f"{stack.front_url}/openapi.json", timeout=10).json()
    assert document["components"]["securitySchemes"]["storeJwt"]["scheme"] == "bearer"
    assert set(document["paths"]["/settings"]["patch"]["responses"]) >= {"200", "412", "422"}


def test_a_wider_notifications_level_applies_from_the_moment_it_is_chosen(
    stack: LocalStack,
) -> None:
    customer = stack.seed_demo_reseller(settings={"auto_sync": "off"})
    stack.marketplace.add_product("NEW-SKU", "Not mapped", "1.00")
    stack.marketplace.add_order(customer["id"], [("NEW-SKU", 1, "1.00")])  # waits: a problem
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    history = stack.api("GET", "/action-log", params={"limit": 200}).json()["items"]
    assert len([e for e in history if not e["read"]]) > 5  # connect, settings, mappings, ...
    assert len(stack.api("GET", "/notifications").json()["items"]) == 1
    stack.api("PATCH", "/settings", json={"notifications": "all_tasks"}).raise_for_status()
    shown = stack.api("GET", "/notifications").json()["items"]
    # The problem still shows, and the switch itself; the history before it does not flood in.
    assert sorted(e["status"] for e in shown) == ["action_required", "info"], shown
    assert [e["action"] for e in shown if e["status"] == "info"] == ["settings_changed"]
    stack.marketplace.add_order(customer["id"], [("MS-TEAMS-ESS", 1, "4.00")])
    stack.api("POST", f"/customers/{customer['id']}/sync")
    stack.drain_queue()
    later = stack.api("GET", "/notifications").json()["items"]
    assert len(later) > len(shown)  # what happens from now on does show
    assert stack.api("POST", "/notifications/read-all").json() == {"marked": len(later)}


def test_choosing_the_organisation_already_connected_changes_nothing(stack: LocalStack) -> None:
    stack.connect_xero()
    before = stack.api("GET", "/xero/connection").json()
    logged = len(stack.api("GET", "/action-log").json()["items"])
    again = stack.api(
        "PUT", "/xero/connection/tenant", json={"tenant_id": before["organisation_id"]}
    )
    assert (again.status_code, again.json()) == (200, before)
    assert len(stack.api("GET", "/action-log").json()["items"]) == logged
