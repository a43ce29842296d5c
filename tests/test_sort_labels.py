"""The measure list's filters speak the user's language: sort choices translated when
shown, the report's order offered once, "all working groups" rather than dashes."""

from django.urls import reverse


def test_sort_choices_follow_the_language(client, bureau_user):
    client.force_login(bureau_user)
    german = client.get(reverse("measures:measure_list")).content.decode()
    assert "Nummer (absteigend)" in german
    assert german.count("Reihenfolge im Bericht") == 1
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("measures:measure_list")).content.decode()
    assert "number (descending)" in english
    assert "absteigend" not in english
    assert english.count("report order") == 1


def test_working_group_filter_offers_all_groups_not_dashes(client, bureau_user):
    client.force_login(bureau_user)
    content = client.get(reverse("measures:measure_list")).content.decode()
    assert "alle Arbeitsgruppen" in content
    assert "---------" not in content
