"""§8.2 merkantile data: the organisation's invoice information and notification points, one form for every
"Rediger integrasjon" button."""

from __future__ import annotations

import pytest

from tests.portal.conftest import PROVIDER, PortalWorld, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_invoice_and_notification_points(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    provider = await world.get("/virksomhet/api-tilbyder")
    assert 'href="/selvbetjening/virksomhet/merkantil">Rediger integrasjon</a>' in provider.text
    assert "Mine API" in provider.text
    overview = text_of((await world.get("/virksomhet")).text)
    assert "TILBYDER AS API-tilbyder" in overview
    form = await world.get("/virksomhet/merkantil")
    assert "Merkantile data gjelder hele virksomheten (TILBYDER AS)" in text_of(form.text)
    saved = await world.post(
        "/virksomhet/merkantil",
        {
            "referanse": "K-123",
            "faktura_epost": "Faktura@Tilbyder.no",
            "adresse": "Postboks 1",
            "nytt_varslingspunkt": "drift@tilbyder.no",
        },
    )
    assert saved.status_code == 303
    organisation = await world.admin.get_organisation(PROVIDER)
    assert organisation.mercantile == {
        "invoice": {"reference": "K-123", "email": "faktura@tilbyder.no", "address": "Postboks 1"},
        "notification_points": ["drift@tilbyder.no"],
    }
    second = await world.post(
        "/virksomhet/merkantil",
        {
            "referanse": "K-123",
            "varslingspunkt": ["drift@tilbyder.no"],
            "nytt_varslingspunkt": "vakt@tilbyder.no",
        },
    )
    assert second.status_code == 303
    assert (await world.admin.get_organisation(PROVIDER)).mercantile["notification_points"] == [  # type: ignore[index]
        "drift@tilbyder.no",
        "vakt@tilbyder.no",
    ]
    removed = await world.post(
        "/virksomhet/merkantil",
        {"varslingspunkt": ["drift@tilbyder.no", "vakt@tilbyder.no"], "fjern": "drift@tilbyder.no"},
    )
    assert removed.status_code == 303
    assert (await world.admin.get_organisation(PROVIDER)).mercantile["notification_points"] == [  # type: ignore[index]
        "vakt@tilbyder.no"
    ]
    bad = await world.post("/virksomhet/merkantil", {"nytt_varslingspunkt": "ikke en adresse"})
    assert bad.status_code == 400
    assert (
        'id="nytt_varslingspunkt-feil">Feil: Invalid value for mercantile.notification_points</p>' in bad.text
    )
    bad_mail = await world.post("/virksomhet/merkantil", {"faktura_epost": "x@"})
    assert 'id="faktura_epost-feil">Feil: Invalid value for mercantile.invoice.email</p>' in bad_mail.text


async def test_consumer_without_prefix_has_no_provider_entry(world: PortalWorld) -> None:
    await world.user("ola@konsument.no")
    assert "API-tilbyder" not in (await world.get("/virksomhet")).text
    assert (await world.get("/virksomhet/api-tilbyder")).status_code == 404
    assert (await world.get("/virksomhet/merkantil")).status_code == 200
