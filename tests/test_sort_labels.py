"""The sort menu of the measure list speaks the user's language, and offers the
report's order once."""

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
