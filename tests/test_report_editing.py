"""The bureau writes the report, the records fill it: each section's texts before and
after its generated part, edited on the report's pages with a preview, kept in the
audit trail, guarded against concurrent edits, and shown in HTML, PDF and DOCX; the
section's choice to show statuses; the order of items, members and offices."""

import datetime
import re

import pytest
from django.urls import reverse

from measures.models import Measure
from reports.models import Report, ReportSection
from reports.text_markup import blocks, to_html
from working_groups.models import Membership, Office, WorkingGroup

from .budgets import REQUEST
from .factories import MeasureFactory, StatusEntryFactory
from .test_report import docx_text, pdf_text, text_of

pytestmark = pytest.mark.usefixtures("dresden")

SLUG = "umsetzungsbericht-2009-2014"
REPORT = reverse("reports:report_detail", args=[SLUG])
BEFORE = "Die Ämter haben ihre Materialien seit 2009 Schritt für Schritt übersetzt."
AFTER_LINES = ["Ausblick:", "- weitere Sprachen", "- leichte Sprache"]


def edit_url(number="3"):
    return reverse("reports:section_edit", args=[SLUG, number])


def move_url(number="3"):
    return reverse("reports:section_move", args=[SLUG, number])


def section(number="3"):
    return ReportSection.objects.get(report__slug=SLUG, number=number)


def form_data(number="3", **values):
    stored = section(number)
    prefix = f"section-{stored.pk}"
    data = {
        f"{prefix}-text": stored.text,
        f"{prefix}-text_after": stored.text_after,
        f"{prefix}-version": str(stored.version),
    }
    if stored.shows_statuses:
        data[f"{prefix}-shows_statuses"] = "on"
    data.update({f"{prefix}-{name}": value for name, value in values.items()})
    return data


def save(client, number="3", **values):
    return client.post(edit_url(number), {**form_data(number, **values), "save": "1"})


# --- the small markup ---------------------------------------------------------------


def test_the_markup_knows_paragraphs_line_breaks_and_bulleted_lists():
    text = "Erster Absatz\nmit Zeilenumbruch\n\n- eins\n- zwei\n  geht weiter\n• drei\n\nSchluss"
    kinds = [(block.kind, getattr(block, "lines", None) or block.items) for block in blocks(text)]
    assert kinds == [
        ("paragraph", ["Erster Absatz", "mit Zeilenumbruch"]),
        ("list", ["eins", "zwei geht weiter", "drei"]),
        ("paragraph", ["Schluss"]),
    ]


def test_the_markup_escapes_everything_and_keeps_numbers_with_units():
    html = to_html("Anteil < 5 % & mehr\n\n- am 1. Juli 2009")
    assert html == (
        "<p>Anteil &lt; 5\u00a0% &amp; mehr</p><ul><li>am 1.\u00a0Juli\u00a02009</li></ul>"
    )


# --- editing on the report's pages ----------------------------------------------------


def test_the_report_page_offers_a_form_per_section_to_the_bureau(client, bureau_user):
    client.force_login(bureau_user)
    page = client.get(REPORT).content.decode()
    assert page.count('<details class="section-edit">') == ReportSection.objects.count()
    assert f'action="{edit_url("3")}"' in page
    assert 'name="preview"' in page


def test_the_bureau_saves_texts_that_the_report_shows_around_the_generated_part(
    client, bureau_user
):
    client.force_login(bureau_user)
    response = save(client, text=BEFORE, text_after="\n".join(AFTER_LINES))
    assert response.status_code == 302
    assert response.url == f"{REPORT}#section-3"
    stored = section()
    assert stored.text == BEFORE and stored.version == 2
    page = client.get(REPORT).content.decode()
    body = page[page.index('id="section-3"') : page.index('id="section-4"')]
    first_item = body.index("Wegweiser")
    assert body.index("Schritt für Schritt") < first_item
    assert body.index("<p>Ausblick:</p><ul><li>weitere Sprachen</li><li>leichte Sprache</li>") > (
        body.index("Prüfung aller Beschluss")
    )


def test_the_preview_shows_the_section_as_it_would_read_and_saves_nothing(client, bureau_user):
    client.force_login(bureau_user)
    data = form_data(text="- erster Punkt\n- zweiter Punkt", text_after="Bewertung folgt.")
    response = client.post(edit_url(), {**data, "preview": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    preview = page[page.index('id="preview"') :]
    assert "<ul><li>erster Punkt</li><li>zweiter Punkt</li></ul>" in preview
    assert "Wegweiser" in preview, "the generated part between the texts"
    assert "Bewertung folgt." in preview
    # what was typed stays in the form
    assert "- erster Punkt\n- zweiter Punkt</textarea>" in page
    stored = section()
    assert (stored.text, stored.version) == ("", 1)
    assert not stored.history.exists()


def test_html_in_a_text_is_refused_with_a_clear_message(client, bureau_user):
    client.force_login(bureau_user)
    response = save(client, text='<p onclick="x()">Einleitung</p>')
    assert response.status_code == 400
    assert "enthält HTML-Auszeichnungen" in response.content.decode()
    assert section().text == ""


def test_a_text_without_tags_may_contain_angle_brackets(client, bureau_user):
    client.force_login(bureau_user)
    assert save(client, text="Anteil < 5 % und > 2 %").status_code == 302
    assert "Anteil &lt; 5\u00a0% und &gt; 2\u00a0%" in client.get(REPORT).content.decode()


def test_a_colleagues_newer_change_is_not_overwritten(client, bureau_user):
    client.force_login(bureau_user)
    opened = form_data(text="Meine Einleitung")  # opened at version 1
    assert save(client, text="Einleitung der Kollegin").status_code == 302
    response = client.post(edit_url(), {**opened, "save": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "inzwischen geändert" in page
    assert "Einleitung der Kollegin" in page and "Meine Einleitung</textarea>" in page
    assert section().text == "Einleitung der Kollegin"
    # the form now carries the stored version: saving again overwrites knowingly
    retry = {**opened, f"section-{section().pk}-version": "2", "save": "1"}
    assert client.post(edit_url(), retry).status_code == 302
    assert section().text == "Meine Einleitung"


def test_every_change_is_kept_with_who_and_when(client, bureau_user):
    bureau_user.first_name, bureau_user.last_name = "Berta", "Büro"
    bureau_user.save()
    client.force_login(bureau_user)
    save(client, text="Erste Fassung")
    save(client, text="Zweite Fassung", text_after="Ausblick")
    history = list(section().history.order_by("history_date", "history_id"))
    # the state loaded with the data set, then the two changes, each with its author
    assert [record.text for record in history] == ["", "Erste Fassung", "Zweite Fassung"]
    assert [record.history_user for record in history[1:]] == [bureau_user, bureau_user]
    page = client.get(edit_url()).content.decode()
    changes = page[page.index('id="history-title"') :]
    assert changes.count("Berta Büro") == 2
    assert "Text nach dem erzeugten Teil" in changes
    assert "<del>Erste Fassung</del>" in changes and "<ins>Zweite Fassung</ins>" in changes


def test_only_lists_of_measures_offer_the_choice_of_statuses(client, bureau_user):
    client.force_login(bureau_user)
    assert "shows_statuses" in client.get(edit_url("3")).content.decode()
    assert "shows_statuses" not in client.get(edit_url("2")).content.decode()


def test_the_bureau_switches_statuses_on_for_a_section(client, bureau_user):
    measure = Measure.objects.get(number="4.2.5")
    StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1), progress=None)
    client.force_login(bureau_user)
    assert "START-Stipendienprogramm weitergeführt [" not in text_of(client.get(REPORT))
    assert save(client, "4", shows_statuses="on").status_code == 302
    assert "START-Stipendienprogramm weitergeführt [" in text_of(client.get(REPORT))


@pytest.mark.parametrize("role", ["council_member", "office_staff"])
def test_only_the_bureau_edits(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(edit_url()).status_code == 403
    assert save(client, text="fremd").status_code == 403
    data = {"kind": "measure", "pk": Measure.objects.get(number="3.2.2").pk, "direction": "up"}
    assert client.post(move_url(), data).status_code == 403
    assert section().text == ""
    assert "section-edit" not in client.get(REPORT).content.decode()


def test_anonymous_goes_to_the_login_and_wrong_methods_are_refused(client, bureau_user):
    for url in (edit_url(), move_url()):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(bureau_user)
    assert client.get(move_url()).status_code == 405
    assert client.put(edit_url()).status_code == 405
    assert client.get(reverse("reports:section_edit", args=[SLUG, "9"])).status_code == 404


# --- order: items, members, offices -----------------------------------------------------


def item_order(client, *items):
    text = text_of(client.get(REPORT))
    return sorted(items, key=text.index)


def test_the_bureau_moves_an_item_down_and_up(client, bureau_user):
    client.force_login(bureau_user)
    first, second = "Teilnehmende an zentraler", "Fortbildung zur Interkulturellen Kompetenz"
    assert item_order(client, second, first) == [first, second]
    moved = Measure.objects.get(number="3.2.1")
    response = client.post(move_url(), {"kind": "measure", "pk": moved.pk, "direction": "down"})
    assert response.status_code == 302
    assert response.url == f"{edit_url()}#order-measure-{moved.pk}"
    assert item_order(client, first, second) == [second, first]
    # through the model: the audit trail has the new position with its author
    record = moved.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == bureau_user and record.position == moved.position + 1
    client.post(move_url(), {"kind": "measure", "pk": moved.pk, "direction": "up"})
    assert item_order(client, second, first) == [first, second]


def test_the_first_item_stays_first(client, bureau_user):
    client.force_login(bureau_user)
    first = Measure.objects.get(number="3.2.1")
    response = client.post(move_url(), {"kind": "measure", "pk": first.pk, "direction": "up"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.position == 11
    messages = [str(m) for m in client.get(response.url).context["messages"]]
    assert messages == ["Der Eintrag steht bereits an diesem Ende seiner Liste."]


def test_equal_positions_become_an_order_when_moving(client, bureau_user):
    topic = Measure.objects.get(number="3.2.1").topic
    Measure.objects.filter(topic=topic, parent=None).update(position=0)
    client.force_login(bureau_user)
    last = Measure.objects.get(number="3.2.3")
    client.post(move_url(), {"kind": "measure", "pk": last.pk, "direction": "up"})
    numbers = list(
        Measure.objects.filter(topic=topic, parent=None)
        .order_by("position", "number")
        .values_list("number", flat=True)
    )
    assert numbers == ["3.2.1", "3.2.3", "3.2.2"]


def test_members_keep_the_order_the_bureau_gives_them(client, bureau_user):
    group = WorkingGroup.objects.get(short_name="FAG 1")
    seats = list(group.memberships.order_by("position", "pk"))
    client.force_login(bureau_user)
    response = client.post(
        move_url("2"), {"kind": "membership", "pk": seats[1].pk, "direction": "up"}
    )
    assert response.status_code == 302
    text = text_of(client.get(REPORT))
    fag1 = text[text.rindex("FAG 1") :]
    assert fag1.index("Caritas-Jugendmigrationsdienst") < fag1.index("Cabana, ÖIZ e. V.")


def test_offices_of_an_item_keep_the_order_the_bureau_gives_them(client, bureau_user):
    collective = Measure.objects.get(number="3.1")
    # without the wording that names them all, the item lists its offices
    Measure.objects.filter(pk=collective.pk).update(report_wording="")
    client.force_login(bureau_user)
    jugendamt = Office.objects.get(code="51")
    response = client.post(
        move_url(),
        {"kind": "office", "pk": jugendamt.pk, "list": collective.pk, "direction": "down"},
    )
    assert response.status_code == 302
    assert response.url.endswith(f"#order-office-{collective.pk}-{jugendamt.pk}")
    text = text_of(client.get(REPORT))
    assert "Ämter: Büro der Integrations- und Ausländerbeauftragten, Jugendamt" in text


def test_only_what_the_section_lists_can_be_moved_there(client, bureau_user):
    client.force_login(bureau_user)
    elsewhere = Measure.objects.get(number="5.2")
    seat = Membership.objects.first()
    joined = Measure.objects.get(number="4.2.7")
    for data, number in [
        ({"kind": "measure", "pk": elsewhere.pk, "direction": "up"}, "3"),
        ({"kind": "membership", "pk": seat.pk, "direction": "up"}, "3"),
        ({"kind": "measure", "pk": Measure.objects.get(number="3.2.2").pk}, "2"),
        ({"kind": "measure", "pk": joined.pk, "direction": "up"}, "4"),
        ({"kind": "office", "pk": Office.objects.get(code="61").pk, "direction": "up"}, "3"),
    ]:
        data.setdefault("direction", "up")
        assert client.post(move_url(number), data).status_code == 404, data
    assert client.post(move_url(), {"kind": "measure", "pk": "x"}).status_code == 400
    measure = Measure.objects.get(number="3.2.2")
    data = {"kind": "measure", "pk": measure.pk, "direction": "sideways"}
    assert client.post(move_url(), data).status_code == 400


# --- in every format ------------------------------------------------------------------


def _texts_in_place(text):
    heading, before, item = "3. Interkulturelle Orientierung", BEFORE[:30], "Wegweiser"
    last, after, next_heading = "Prüfung aller Beschluss", "weitere Sprachen", "4. Leistungen"
    positions = [text.rindex(heading), text.index(before), text.rindex(item)]
    positions += [text.rindex(last), text.index(after), text.rindex(next_heading)]
    return positions == sorted(positions)


def test_the_texts_stand_in_their_place_in_the_pdf_and_the_docx(client, bureau_user):
    from reports.exports import render_docx, render_pdf

    section_3 = section()
    section_3.text, section_3.text_after = BEFORE, "\n".join(AFTER_LINES)
    section_3.save()
    report = Report.objects.get(slug=SLUG)
    _reader, text = pdf_text(render_pdf(report))
    assert _texts_in_place(re.sub(r"-\s", "-", text))
    document, text = docx_text(render_docx(report))
    assert _texts_in_place(text)
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "weitere Sprachen" in bullets and "leichte Sprache" in bullets


# --- query budgets ----------------------------------------------------------------------


@pytest.mark.parametrize("extra", [3, 300])
def test_section_page_queries_do_not_grow_with_measures(
    client, bureau_user, django_assert_num_queries, extra
):
    report = Report.objects.get(slug=SLUG)
    topic = report.sections.get(number="3").topics.first().children.first()
    for measure in MeasureFactory.create_batch(extra, concept=report.concept, topic=topic):
        StatusEntryFactory(measure=measure, as_of=datetime.date(2013, 1, 1))
    client.force_login(bureau_user)
    for text in ("eins", "zwei"):
        save(client, text=text)
    # session, user, roles; the section with its report; the report's records as the
    # report page reads them (sections with topics, measures with offices,
    # organisations, languages, indicators and values, topics, funding lines with
    # amounts and areas, groups with seats, needs, provisions: 17); the section's
    # history (count, the changes with their authors, the change before them, the
    # report they name)
    with django_assert_num_queries(REQUEST + 1 + 17 + 4):
        assert client.get(edit_url()).status_code == 200


# --- a measure's place in the report ----------------------------------------------------


def test_a_measure_is_reported_with_a_measure_of_its_concept_that_has_its_own_item():
    from django.core.exceptions import ValidationError

    from .factories import ConceptFactory

    joined = Measure.objects.get(number="4.2.7")
    for target, message in [
        (joined, "nicht mit sich selbst"),
        (MeasureFactory(concept=ConceptFactory()), "anderen Konzept"),
        (Measure.objects.get(number="4.1.4"), "deren eigener Punkt im Bericht steht"),
    ]:
        joined.reported_with = target
        with pytest.raises(ValidationError, match=message):
            joined.full_clean()
    host = Measure.objects.get(number="4.2.6")
    host.reported_with = Measure.objects.get(number="4.2.5")
    with pytest.raises(ValidationError, match="deren eigener Punkt im Bericht steht"):
        host.full_clean()  # 4.2.7 is listed in its item
