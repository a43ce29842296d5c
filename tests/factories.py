import datetime

import factory
from django.contrib.auth import get_user_model

from measures.models import (
    ActionNeed,
    FundingAmount,
    FundingLine,
    FundingProgramme,
    Indicator,
    IndicatorValue,
    Measure,
    Status,
    StatusEntry,
    Topic,
)
from working_groups.models import (
    Assignment,
    Concept,
    Department,
    FieldOfAction,
    Membership,
    Municipality,
    Office,
    Organisation,
    WorkingGroup,
)


def the_municipality():
    """The municipality a test's records and accounts belong to unless it names
    another: the first there is (Dresden, where its data are loaded), else a
    "Teststadt" made for the test."""
    return (
        Municipality.objects.order_by("pk").first()
        or Municipality.objects.get_or_create(slug="teststadt", defaults={"name": "Teststadt"})[0]
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-password")

    @factory.post_generation
    def municipalities(self, create, extracted, **kwargs):
        """The account works with the test's municipality, or with those given
        (``municipalities=[…]``; an empty list: none)."""
        if create:
            self.municipalities.add(*(the_municipality(),) if extracted is None else extracted)


class MunicipalityFactory(factory.django.DjangoModelFactory):
    """A municipality of its own (records made by the other factories belong to
    ``the_municipality()`` unless they are given one)."""

    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Stadt {n}")
    slug = factory.Sequence(lambda n: f"stadt-{n}")


class ConceptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concept

    municipality = factory.LazyFunction(the_municipality)
    slug = factory.Sequence(lambda n: f"konzept-{n}")
    title = factory.Sequence(lambda n: f"Integrationskonzept {n}")
    start_year = 2009


class FieldOfActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldOfAction

    concept = factory.SubFactory(ConceptFactory)
    number = factory.Sequence(lambda n: f"{n}")
    title = factory.Sequence(lambda n: f"Handlungsfeld {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    municipality = factory.LazyFunction(the_municipality)
    code = factory.Sequence(lambda n: f"GB {n}")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    municipality = factory.LazyFunction(the_municipality)
    code = factory.Sequence(lambda n: f"{n + 100}")
    name = factory.Sequence(lambda n: f"Amt {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Verein {n} e. V.")
    kind = Organisation.Kind.ASSOCIATION


class WorkingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingGroup

    concept = factory.SubFactory(ConceptFactory)
    kind = WorkingGroup.Kind.EXPERT
    number = factory.Sequence(lambda n: n + 1)
    short_name = factory.Sequence(lambda n: f"FAG {n + 1}")
    title = factory.Sequence(lambda n: f"Facharbeitsgruppe {n + 1}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(WorkingGroupFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    concept = factory.SubFactory(ConceptFactory)
    slug = factory.Sequence(lambda n: f"thema-{n}")
    title = factory.Sequence(lambda n: f"Thema {n}")


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    concept = factory.SubFactory(ConceptFactory)
    number = factory.Sequence(lambda n: f"M{n}")
    title = factory.Sequence(lambda n: f"Maßnahme {n}")
    lead_office = factory.SubFactory(
        OfficeFactory,
        municipality=factory.SelfAttribute("..concept.municipality"),
    )


class StatusEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusEntry

    measure = factory.SubFactory(MeasureFactory)
    status = Status.IN_PROGRESS
    # An ongoing task takes no percentage (a database constraint).
    progress = factory.LazyAttribute(lambda o: None if o.status == Status.ONGOING else 50)
    as_of = datetime.date(2014, 3, 31)
    state = StatusEntry.State.APPROVED


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    measure = factory.SubFactory(MeasureFactory)
    name = factory.Sequence(lambda n: f"Indikator {n}")
    unit = "Personen"


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    value = 10
    period_start = datetime.date(2010, 1, 1)
    period_end = datetime.date(2010, 12, 31)


class FundingProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingProgramme

    name = factory.Sequence(lambda n: f"Programm {n}")


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    key = factory.Sequence(lambda n: f"linie-{n}")
    title = factory.Sequence(lambda n: f"Förderlinie {n}")
    programme = factory.SubFactory(FundingProgrammeFactory)


class FundingAmountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingAmount

    line = factory.SubFactory(FundingLineFactory)
    year_from = 2010
    year_to = 2010
    amount = 1000


class ActionNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionNeed

    concept = factory.SubFactory(ConceptFactory)
    number = factory.Sequence(lambda n: f"{n + 1}")
    title = factory.Sequence(lambda n: f"Handlungsbedarf {n}")


class ReportingRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "measures.ReportingRound"

    concept = factory.SubFactory(ConceptFactory)
    title = factory.Sequence(lambda n: f"Berichtsrunde {n}")
    period_start = datetime.date(2014, 1, 1)
    period_end = datetime.date(2014, 12, 31)
    deadline = datetime.date(2015, 1, 31)


def assignment_rows(municipality):
    """The rows of the municipality's accounts in the form of its admin page (the
    system administration's inline of assignments), unchanged."""
    rows = list(Assignment.all_objects.filter(municipality=municipality).order_by("pk"))
    data = {
        "assignments-TOTAL_FORMS": str(len(rows)),
        "assignments-INITIAL_FORMS": str(len(rows)),
    }
    for number, row in enumerate(rows):
        data |= {
            f"assignments-{number}-id": str(row.pk),
            f"assignments-{number}-municipality": str(municipality.pk),
            f"assignments-{number}-user": str(row.user_id),
            f"assignments-{number}-role": row.role or "council",
        }
    return data
