"""The user of a request, loaded together with their roles.

Django's ModelBackend loads the user of a session with one query, and the first
question about a role (integration_tracker/roles.py) asks the database again. Every
page asks about roles (the menu depends on them), so here the role names come with the
user in one query: a subquery lists the user's role groups. Only the fixed role names
are read, so a group whose name merely contains one cannot grant a role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connections, router

from .roles import Role

SEPARATOR = ","  # no role name contains it


def _names_aggregate(vendor, column):
    if vendor == "postgresql":
        return f"string_agg({column}, '{SEPARATOR}')"
    return f"group_concat({column}, '{SEPARATOR}')"


class RoleBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        using = router.db_for_read(User)
        connection = connections[using]
        quote = connection.ops.quote_name
        through = User.groups.through._meta
        group_table = quote(Group._meta.db_table)
        roles = ", ".join(["%s"] * len(Role))
        sql = (
            f"SELECT u.*, (SELECT {_names_aggregate(connection.vendor, 'g.' + quote('name'))} "
            f"FROM {group_table} g INNER JOIN {quote(through.db_table)} ug "
            f"ON ug.{quote('group_id')} = g.{quote('id')} "
            f"WHERE ug.{quote('user_id')} = u.{quote(User._meta.pk.column)} "
            f"AND g.{quote('name')} IN ({roles})) AS role_names "
            f"FROM {quote(User._meta.db_table)} u WHERE u.{quote(User._meta.pk.column)} = %s"
        )
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:  # a tampered session: no user, as ModelBackend does
            return None
        found = list(User._default_manager.db_manager(using).raw(sql, [*Role.values, pk]))
        if not found:
            return None
        user = found[0]
        names = user.__dict__.pop("role_names", None) or ""
        user._role_names = {name for name in names.split(SEPARATOR) if name}
        return user if self.user_can_authenticate(user) else None
