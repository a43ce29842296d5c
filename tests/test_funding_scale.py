"""Funding bars share one scale per page: the largest amount on the page is the full
bar, so 149.200 € draws shorter than 550.000 €, whichever line they belong to."""

import re

from django.urls import reverse

from measures.models import FundingAmount


def test_funding_bars_share_one_scale(client, council_member, dresden):
    client.force_login(council_member)
    content = client.get(reverse("reports:funding")).content.decode()
    widths = {
        title: float(width)
        for width, title in re.findall(
            r'<rect x="110" y="\d+" width="([\d.]+)" height="20" class="bar-amount">'
            r"<title>([^<]+)</title>",
            content,
        )
    }
    largest = max(FundingAmount.objects.values_list("amount", flat=True))
    full = [title for title, width in widths.items() if width == 300]
    assert full and all(f"{largest:,.0f}".replace(",", ".") in title for title in full)
    assert max(w for t, w in widths.items() if "149.200\u00a0€" in t) < 300 * 149200 / 500000
