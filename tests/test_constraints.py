"""Every database constraint rejects what it is there to reject."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from measures.models import FundingAmount, Status, StatusEntry
from working_groups.models import Concept, Membership, Office

from .factories import (
    ActionNeedFactory,
    ConceptFactory,
    DepartmentFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MembershipFactory,
    MunicipalityFactory,
    OfficeFactory,
    OrganisationFactory,
    StatusEntryFactory,
    UserFactory,
    WorkingGroupFactory,
)

pytestmark = pytest.mark.django_db


def rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_membership_with_two_holders_is_rejected_by_the_database():
    group = WorkingGroupFactory()
    office = OfficeFactory(municipality=group.concept.municipality)
    rejected(
        lambda: Membership.objects.create(
            group=group, organisation=OrganisationFactory(), office=office
        )
    )
    rejected(
        lambda: Membership.objects.create(
            group=group, office=office, department=DepartmentFactory()
        )
    )


def test_membership_without_holder_needs_a_role():
    group = WorkingGroupFactory()
    rejected(lambda: Membership.objects.create(group=group, role=""))
    seat = Membership.objects.create(group=group, role="Vertreter des Ausländerbeirats")
    assert seat.holder is None
    assert str(seat) == "Vertreter des Ausländerbeirats"


def test_membership_full_clean_explains_the_rule():
    group = WorkingGroupFactory()
    seat = Membership(group=group, organisation=OrganisationFactory(), office=OfficeFactory())
    with pytest.raises(ValidationError, match="genau einer Organisation"):
        seat.full_clean()


def test_organisation_sits_once_in_a_group():
    membership = MembershipFactory()
    rejected(
        lambda: Membership.objects.create(
            group=membership.group, organisation=membership.organisation
        )
    )


def test_membership_cannot_end_before_it_starts():
    rejected(
        lambda: MembershipFactory(
            active_from=datetime.date(2013, 1, 1), active_until=datetime.date(2012, 1, 1)
        )
    )


def test_office_code_is_unique_within_a_municipality_only():
    office = OfficeFactory(code="51")
    rejected(lambda: Office.objects.create(municipality=office.municipality, code="51"))
    other = Office.objects.create(municipality=MunicipalityFactory(), code="51")
    assert other.pk


def test_office_needs_a_code_or_a_name():
    rejected(lambda: Office.objects.create(municipality=MunicipalityFactory()))
    assert Office.objects.create(municipality=MunicipalityFactory(), name="Ordnungsamt").pk


def test_offices_without_code_do_not_clash():
    municipality = MunicipalityFactory()
    Office.objects.create(municipality=municipality, name="Ordnungsamt")
    Office.objects.create(municipality=municipality, name="Bürgeramt")
    rejected(lambda: Office.objects.create(municipality=municipality, name="Bürgeramt"))


def test_concept_period_in_order():
    rejected(lambda: ConceptFactory(start_year=2015, end_year=2014))


def test_concept_cannot_be_its_own_predecessor():
    concept = ConceptFactory()
    concept.predecessor = concept
    rejected(lambda: concept.save())
    assert Concept.objects.get(pk=concept.pk).predecessor is None


def test_working_group_short_name_unique_per_concept():
    group = WorkingGroupFactory()
    rejected(lambda: WorkingGroupFactory(concept=group.concept, short_name=group.short_name))


def test_measure_number_unique_per_concept():
    measure = MeasureFactory()
    rejected(lambda: MeasureFactory(concept=measure.concept, number=measure.number))


def test_measure_planned_period_in_order():
    rejected(
        lambda: MeasureFactory(
            planned_start=datetime.date(2014, 1, 1), planned_end=datetime.date(2013, 1, 1)
        )
    )


def test_measure_parent_must_belong_to_the_same_concept():
    child = MeasureFactory()
    child.parent = MeasureFactory()
    with pytest.raises(ValidationError, match="anderen Konzept"):
        child.full_clean()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"progress": 101}, "zwischen 0 und 100 %"),
        ({"status": Status.COMPLETED, "progress": 80}, "100 %"),
        ({"status": Status.DEFERRED, "reason": ""}, "braucht eine Begründung"),
        ({"status": Status.DROPPED, "reason": ""}, "braucht eine Begründung"),
    ],
)
def test_status_entry_rules_hold_in_the_database_and_in_validation(fields, message):
    measure = MeasureFactory()
    rejected(lambda: StatusEntryFactory(measure=measure, **fields))
    entry = StatusEntry(
        measure=measure,
        as_of=datetime.date(2014, 1, 1),
        **{
            "status": Status.IN_PROGRESS,
            "progress": 50,
            **fields,
        },
    )
    with pytest.raises(ValidationError, match=message):
        entry.full_clean()


def test_deferred_with_reason_is_accepted():
    entry = StatusEntryFactory(status=Status.DEFERRED, progress=None, reason="Haushaltssperre")
    assert entry.pk


def test_nobody_reviews_their_own_entry():
    user = UserFactory()
    rejected(lambda: StatusEntryFactory(author=user, reviewer=user))


def test_a_measure_has_at_most_one_submitted_entry():
    measure = MeasureFactory()
    submitted = StatusEntry.State.SUBMITTED
    StatusEntryFactory(measure=measure, state=submitted)
    rejected(lambda: StatusEntryFactory(measure=measure, state=submitted))
    draft = StatusEntryFactory(measure=measure, state=StatusEntry.State.DRAFT)
    draft.state = submitted
    rejected(lambda: draft.save(update_fields=["state"]))
    with pytest.raises(ValidationError, match="wartet bereits ein anderer Sachstand"):
        draft.full_clean()
    # Any number of other states, and one submitted entry on each other measure.
    StatusEntryFactory(measure=measure, state=StatusEntry.State.APPROVED)
    StatusEntryFactory(measure=measure, state=StatusEntry.State.RETURNED)
    assert StatusEntryFactory(state=submitted).pk
    assert StatusEntry.objects.filter(measure=measure, state=submitted).count() == 1


def test_status_entry_as_of_in_the_future_is_refused():
    entry = StatusEntry(
        measure=MeasureFactory(),
        status=Status.IN_PROGRESS,
        progress=10,
        as_of=datetime.date.today() + datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="nicht in der Zukunft"):
        entry.full_clean()


def test_indicator_value_period_in_order():
    indicator = IndicatorFactory()
    rejected(
        lambda: IndicatorValueFactory(
            indicator=indicator,
            period_start=datetime.date(2014, 1, 1),
            period_end=datetime.date(2013, 1, 1),
        )
    )


def test_funding_amount_span_in_order_and_not_negative():
    line = FundingLineFactory()
    rejected(lambda: FundingAmountFactory(line=line, year_from=2013, year_to=2012))
    rejected(lambda: FundingAmountFactory(line=line, amount=-1))


def test_funding_amount_once_per_line_span_and_kind():
    amount = FundingAmountFactory()
    rejected(lambda: FundingAmountFactory(line=amount.line))
    planned = FundingAmountFactory(line=amount.line, kind=FundingAmount.Kind.PLANNED)
    assert planned.pk


def test_need_carried_over_names_the_concept():
    rejected(lambda: ActionNeedFactory(status="carried_over", carried_into=None))
    need = ActionNeedFactory(status="carried_over", carried_into=ConceptFactory())
    assert need.pk


def test_messages_are_german_first_and_english_on_request():
    seat = Membership(group=WorkingGroupFactory(), role="")
    with pytest.raises(ValidationError, match="allein einer Rolle"):
        seat.full_clean()
    with translation.override("en"), pytest.raises(ValidationError, match="by a role alone"):
        seat.full_clean()
