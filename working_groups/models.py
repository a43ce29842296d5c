"""Governance: concepts and their action plans, fields of action, the city's
departments and offices, outside organisations, working groups and who sits in them.

Where a source does not say something (which name stands behind an office number,
say), the record leaves it empty or marks the assumption in ``source_note``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from helpers.roles import Role
from helpers.scope import ScopedManager, scoped_manager
from helpers.spreadsheets import validate_code, validate_number

from .validators import validate_ags, validate_host, validate_slug_not_reserved


class MunicipalityQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def with_public_pages(self):
        """The municipalities in service whose bureau has made the progress pages
        public."""
        return self.filter(public_pages=True, in_service=True)

    def contact_of(self, pk=None):
        """The contact of the municipality ``pk``; with none named, of the only
        municipality in service if the instance serves one, else the instance's
        (settings.BUREAU_CONTACT)."""
        if pk is None:
            found = list(self.filter(in_service=True)[:2])
            found = found[0] if len(found) == 1 else None
        else:
            found = self.filter(pk=pk).first()
        return found.contact if found else settings.BUREAU_CONTACT


class Municipality(models.Model):
    """The city or district whose administration carries out a concept.

    One instance can serve several municipalities (a state-wide installation);
    codes of offices are unique within a municipality only.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(
        _("short name (URL)"),
        max_length=80,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=_(
            "The first part of the municipality's addresses (/short-name/…). Changed, "
            "every address of the municipality changes, and links to the old ones end "
            "in “not found”. Only the system administration changes this."
        ),
    )
    ags = models.CharField(
        _("AGS key"),
        max_length=8,
        blank=True,
        validators=[validate_ags],
        help_text=_(
            "Amtlicher Gemeindeschlüssel, eight digits. It identifies the municipality "
            "in the open data and to the Land."
        ),
    )
    host = models.CharField(
        _("own host name"),
        max_length=253,
        blank=True,
        validators=[validate_host],
        help_text=_(
            "Optional: a host name under which the municipality is served without its "
            "short name in the path, e.g. integration.example.org. The host must also be "
            "in the setting ALLOWED_HOSTS (and MUNICIPALITY_HOSTS switched on), or "
            "requests to it are refused."
        ),
    )
    contact_name = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_(
            "Whom people ask about the work and their access, e.g. the commissioner's "
            "bureau. The public start page, the login and the e-mails name it. Empty: "
            "the contact of the instance's settings."
        ),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=50, blank=True)
    accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accounts"),
        related_name="municipalities",
        blank=True,
        through="Assignment",
        help_text=_(
            "The people who work with this municipality's records. What their role lets "
            "them read and change, they read and change here only."
        ),
    )
    in_service = models.BooleanField(
        _("in service"),
        default=True,
        help_text=_(
            "Taken out of service, a municipality keeps all its records and published "
            "reports, but its accounts no longer work with them and its public pages "
            "are offline. Only the system administration changes this."
        ),
    )
    public_pages = models.BooleanField(
        _("progress pages and open data public"),
        default=False,
        help_text=_(
            "Visitors without an account read the progress pages and the open data of "
            "this municipality's concepts: public measures and approved statuses only. "
            "Otherwise they see a short start page that says whom to ask."
        ),
    )

    # Scoped as the records that belong to one (helpers/scope.py): a
    # bureau's choices and lists hold its own municipality only.
    objects = scoped_manager(MunicipalityQuerySet)
    # Every municipality, for what decides the scope itself and for the system
    # administration.
    all_objects = MunicipalityQuerySet.as_manager()
    # Who made the pages public, and when (the settings page links the history). It
    # is read per record (by id): the unique fields get no index there.
    history = HistoricalRecords(no_db_index=["name", "slug"])

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            # Unique where given; most municipalities have neither an own host nor,
            # until it is entered, an AGS key.
            models.UniqueConstraint(
                fields=["ags"],
                condition=~Q(ags=""),
                name="municipality_ags_unique",
                violation_error_code="unique",
                violation_error_message=_("Another municipality has this AGS key."),
            ),
            models.UniqueConstraint(
                fields=["host"],
                condition=~Q(host=""),
                name="municipality_host_unique",
                violation_error_code="unique",
                violation_error_message=_("Another municipality is served under this host."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # As the request's Host header is compared (helpers/addresses.py).
        self.host = self.host.strip().lower().removesuffix(".")

    @property
    def contact(self):
        """Whom people ask about this municipality's work and their access (the
        start page, the login, the out-of-service page, the invitation mail): its
        own contact where one is given, else the instance's (BUREAU_CONTACT)."""
        if not (self.contact_name or self.contact_email or self.contact_phone):
            return settings.BUREAU_CONTACT
        return {
            "name": self.contact_name or settings.BUREAU_CONTACT["name"],
            "email": self.contact_email,
            "phone": self.contact_phone,
        }

    @classmethod
    def in_municipalities(cls, municipalities):
        return Q(pk__in=municipalities)

    def natural_key(self):
        return (self.slug,)


class Assignment(models.Model):
    """An account works with a municipality, in a role: the bureau of one
    municipality can be a council member in another. What the role lets the
    account read and change, it reads and changes in this municipality only
    (helpers/roles.py); its offices are the offices' own (``Office.staff``), each
    of one municipality.

    An empty role means: the account's role groups say (an account added to a
    municipality without a role, as the shell or a test does; every assignment the
    accounts page or the system administration makes names its role)."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=Role.choices,
        blank=True,
        help_text=_("What the account reads and changes in this municipality."),
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("municipality",)

    objects = scoped_manager()
    # Every assignment, for what decides the scope itself (the roles at login).
    all_objects = QuerySet.as_manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        # The table of the many-to-many relation it replaced (with its rows).
        db_table = "working_groups_municipality_accounts"
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["municipality__name", "user__username"]
        unique_together = [("municipality", "user")]

    def __str__(self):
        return f"{self.user} – {self.municipality}"


class ConceptManager(ScopedManager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Concept(models.Model):
    """An integration concept (Integrationskonzept) and its period."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="concepts",
    )
    slug = models.SlugField(_("short name (URL)"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=300)
    short_title = models.CharField(
        _("short title"),
        max_length=80,
        blank=True,
        help_text=_("As the concept is cited, e.g. “IK 2009”."),
    )
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(
        _("last year"),
        null=True,
        blank=True,
        help_text=_("Empty when the source does not give the end of the period."),
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    adopted_by = models.CharField(_("adopted by"), max_length=200, blank=True)
    draft_published = models.CharField(
        _("draft published"),
        max_length=100,
        blank=True,
        help_text=_("When a draft was published, as precise as the source is."),
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("predecessor (updated concept)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successors",
    )
    description = models.TextField(_("description"), blank=True)
    source_note = models.TextField(_("source and assumptions"), blank=True)
    # Counts up with every change to what readers see of the concept, in the
    # transaction of the change (working_groups/versions.py).
    content_version = models.PositiveBigIntegerField(
        _("version of the content"), default=0, editable=False
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("municipality",)
    objects = ConceptManager()

    class Meta:
        verbose_name = _("integration concept")
        verbose_name_plural = _("integration concepts")
        ordering = ["municipality__name", "start_year"]
        constraints = [
            models.CheckConstraint(
                name="concept_period_in_order",
                condition=Q(end_year__isnull=True) | Q(end_year__gte=models.F("start_year")),
                violation_error_message=_("The last year cannot lie before the first year."),
            ),
            models.CheckConstraint(
                name="concept_not_own_predecessor",
                condition=~Q(predecessor=models.F("pk")),
                violation_error_message=_("A concept cannot be its own predecessor."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("measures:concept_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def period_label(self):
        if self.end_year and self.end_year != self.start_year:
            return f"{self.start_year}–{self.end_year}"
        return str(self.start_year)


class ActionPlan(models.Model):
    """The action plan (Handlungsplan) that puts a concept into practice in the
    administration; what it lays down is kept as ordered provisions."""

    concept = models.OneToOneField(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.CASCADE,
        related_name="action_plan",
    )
    title = models.CharField(_("title"), max_length=300)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["concept"]

    def __str__(self):
        return self.title


class ActionPlanProvision(models.Model):
    """One thing the action plan lays down (structures, roles, accountability …)."""

    action_plan = models.ForeignKey(
        ActionPlan,
        verbose_name=_("action plan"),
        on_delete=models.CASCADE,
        related_name="provisions",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("text"), max_length=500)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("action_plan__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("provision of the action plan")
        verbose_name_plural = _("provisions of the action plan")
        ordering = ["action_plan", "position", "pk"]

    def __str__(self):
        return self.text


class FieldOfAction(models.Model):
    """A field of action (Handlungsfeld) of a concept."""

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.CASCADE,
        related_name="fields_of_action",
    )
    number = models.CharField(_("number"), max_length=20, validators=[validate_number])
    title = models.CharField(_("title"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source_note = models.TextField(_("source and assumptions"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("field of action")
        verbose_name_plural = _("fields of action")
        ordering = ["concept", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "number"],
                name="field_of_action_number_unique_per_concept",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Department(models.Model):
    """A department (Geschäftsbereich) of the city administration."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    code = models.CharField(
        _("code"),
        max_length=30,
        blank=True,
        validators=[validate_code],
        help_text=_("As the city writes it, e.g. “GB 7”."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    name_is_assumption = models.BooleanField(
        _("name is an assumption"),
        default=False,
        help_text=_("Set when the name behind the code does not come from a source."),
    )
    source_note = models.TextField(_("source and assumptions"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["municipality", "code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                condition=~Q(code=""),
                name="department_code_unique_per_municipality",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                condition=~Q(name=""),
                name="department_name_unique_per_municipality",
            ),
            models.CheckConstraint(
                name="department_has_code_or_name",
                condition=~Q(code="") | ~Q(name=""),
                violation_error_message=_("A department needs a code or a name."),
            ),
        ]

    def __str__(self):
        if self.code and self.name:
            return f"{self.code} – {self.name}"
        return self.code or self.name


class OfficeQuerySet(models.QuerySet):
    def lookup(self, key):
        """Offices whose code, short name or name is ``key``, or that ``key`` names by
        their label (“51 – Jugendamt”, found by its code): the natural key that
        spreadsheets use, since some offices are known by name only."""
        key = (key or "").strip()
        found = Q(code=key) | Q(short_name=key) | Q(name=key)
        code, dash, _name = key.partition(Office.SEPARATOR)
        if dash and code.strip():
            found |= Q(code=code.strip())
        return self.filter(found)


class Office(models.Model):
    """A city office (Amt), municipal enterprise (Eigenbetrieb) or staff unit."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("office (Amt)")
        ENTERPRISE = "enterprise", _("municipal enterprise (Eigenbetrieb)")
        STAFF_UNIT = "staff_unit", _("staff unit or bureau")
        INSTITUTION = "institution", _("municipal institution")

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="offices",
    )
    code = models.CharField(
        _("code"),
        max_length=30,
        blank=True,
        validators=[validate_code],
        help_text=_(
            "As the city writes it, e.g. “51” or “EB Kita”. Empty when no source gives it."
        ),
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("Empty when no source gives the name behind the code."),
    )
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OFFICE)
    position = models.PositiveSmallIntegerField(
        _("position in lists"),
        default=0,
        help_text=_("Order in which reports list the offices, e.g. as the source lists them."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offices",
    )
    name_is_assumption = models.BooleanField(
        _("name is an assumption"),
        default=False,
        help_text=_("Set when the link between code and name does not come from a source."),
    )
    source_note = models.TextField(_("source and assumptions"), blank=True)
    email = models.EmailField(_("e-mail for reminders"), blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        blank=True,
        related_name="offices",
        help_text=_("People who enter the status of this office's measures."),
    )

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("municipality",)
    objects = scoped_manager(OfficeQuerySet)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["municipality", "code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                condition=~Q(code=""),
                name="office_code_unique_per_municipality",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                condition=~Q(name=""),
                name="office_name_unique_per_municipality",
            ),
            models.CheckConstraint(
                name="office_has_code_or_name",
                condition=~Q(code="") | ~Q(name=""),
                violation_error_message=_("An office needs a code or a name."),
            ),
        ]

    # Between code and name in an office's label.
    SEPARATOR = " – "

    def __str__(self):
        """The one label of an office in pages, filters, the admin, the report and
        spreadsheets: “51 – Jugendamt”; “Jugendamt” without a code, “Amt 51”
        without a name."""
        if self.code and self.name:
            return f"{self.code}{self.SEPARATOR}{self.name}"
        return self.name or _("Office %(code)s") % {"code": self.code}

    @property
    def key(self):
        """The natural key used in spreadsheets."""
        return self.code or self.short_name or self.name

    @property
    def label(self):
        """The office's label (see ``__str__``), for templates."""
        return str(self)

    @property
    def short_label(self):
        """How the report names the office in its running text, as the source does:
        by name where known (“Jugendamt”), else by number (“Amt 51”)."""
        return self.name or _("Office %(code)s") % {"code": self.code}

    @property
    def spreadsheet_key(self):
        """The label where it names the office by code and name (read back by its
        code), else the natural key."""
        return str(self) if self.code and self.name else self.key


class Organisation(models.Model):
    """An organisation outside the city administration (association, chamber …)."""

    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("association (Verein)")
        MIGRANT_ORGANISATION = "migrant_org", _("migrant organisation")
        WELFARE = "welfare", _("welfare organisation or counselling service")
        CHAMBER = "chamber", _("chamber")
        UNIVERSITY = "university", _("university")
        AUTHORITY = "authority", _("public authority")
        HOSPITAL = "hospital", _("hospital")
        SCHOOL = "school", _("school")
        CULTURE = "culture", _("cultural institution")
        BODY = "body", _("board or council")
        SPORT = "sport", _("sports federation")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text=_("Where the organisation works; empty for state or federal bodies."),
    )
    source_note = models.TextField(_("source and assumptions"), blank=True)

    objects = scoped_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def in_municipalities(cls, municipalities):
        """An organisation belongs to its municipality; one without (a body of the
        Land or the Federation that sits in several cities' groups) to every one
        (helpers/scope.py)."""
        return Q(municipality__in=municipalities) | Q(municipality__isnull=True)


class WorkingGroup(models.Model):
    """The steering group or an expert working group (Facharbeitsgruppe) of a concept."""

    class Kind(models.TextChoices):
        STEERING = "steering", _("steering group")
        EXPERT = "expert", _("expert working group (FAG)")

    concept = models.ForeignKey(
        Concept,
        verbose_name=_("concept"),
        on_delete=models.CASCADE,
        related_name="working_groups",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    short_name = models.CharField(
        _("short name"),
        max_length=40,
        help_text=_("Unique within the concept, e.g. “FAG 1”."),
    )
    title = models.CharField(_("title"), max_length=300)
    fields_of_action = models.ManyToManyField(
        FieldOfAction,
        verbose_name=_("fields of action"),
        blank=True,
        related_name="working_groups",
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    members_involved_in = models.ForeignKey(
        Concept,
        verbose_name=_("members involved in drafting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="involved_groups",
        help_text=_("A later concept whose drafting the members of this group took part in."),
    )
    description = models.TextField(_("description"), blank=True)

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        # The steering group (no number) first, then the expert groups by number.
        ordering = ["concept", models.F("number").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "short_name"],
                name="working_group_short_name_unique_per_concept",
            ),
            models.UniqueConstraint(
                fields=["concept", "kind", "number"],
                name="working_group_number_unique_per_concept",
            ),
            models.CheckConstraint(
                name="working_group_period_in_order",
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                violation_error_message=_("A group cannot end before it starts."),
            ),
        ]

    def __str__(self):
        if self.title == self.short_name:
            return self.title
        return f"{self.short_name} – {self.title}"

    def get_absolute_url(self):
        return reverse("measures:concept_detail", args=[self.concept.slug]) + f"#group-{self.pk}"


class Membership(models.Model):
    """A seat in a working group: held by an organisation, an office, a department,
    or a role alone (e.g. “Vertreter des Ausländerbeirats” without a named body)."""

    group = models.ForeignKey(
        WorkingGroup,
        verbose_name=_("working group"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(
        _("role"),
        max_length=200,
        blank=True,
        help_text=_(
            "The role the member holds in the group, e.g. “Vertreter des Ausländerbeirats”."
        ),
    )
    report_wording = models.CharField(
        _("wording in the report"),
        max_length=500,
        blank=True,
        help_text=_(
            "The words the report prints for this seat and the seats of the same line "
            "that follow it, e.g. as the source writes them. Empty: the report composes "
            "the line from the records."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active_from = models.DateField(_("member from"), null=True, blank=True)
    active_until = models.DateField(_("member until"), null=True, blank=True)

    # History is only read per record (by id): no index on the copied foreign keys.
    history = HistoricalRecords(no_db_index=["group", "organisation", "office", "department"])

    # The municipality it belongs to (helpers/scope.py).
    municipality_paths = ("group__concept__municipality",)
    objects = scoped_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["group", "position", "pk"]
        constraints = [
            # Exactly one seat holder: one of organisation / office / department, or none
            # of them and a role (a role-only seat).
            models.CheckConstraint(
                name="membership_exactly_one_holder",
                condition=(
                    Q(organisation__isnull=False, office__isnull=True, department__isnull=True)
                    | Q(organisation__isnull=True, office__isnull=False, department__isnull=True)
                    | Q(organisation__isnull=True, office__isnull=True, department__isnull=False)
                    | (
                        Q(organisation__isnull=True, office__isnull=True, department__isnull=True)
                        & ~Q(role="")
                    )
                ),
                violation_error_message=_(
                    "A seat is held by exactly one organisation, office or department, "
                    "or by a role alone."
                ),
            ),
            models.CheckConstraint(
                name="membership_period_in_order",
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                violation_error_message=_("A membership cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["group", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_organisation_once_per_group",
            ),
            models.UniqueConstraint(
                fields=["group", "office"],
                condition=Q(office__isnull=False),
                name="membership_office_once_per_group",
            ),
            models.UniqueConstraint(
                fields=["group", "department"],
                condition=Q(department__isnull=False),
                name="membership_department_once_per_group",
            ),
        ]

    def __str__(self):
        holder = self.holder
        if holder and self.role:
            return f"{holder} ({self.role})"
        return str(holder or self.role)

    @property
    def holder(self):
        return self.organisation or self.office or self.department
