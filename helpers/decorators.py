"""The one way a view says who may open it: ``@requires(right)``, with a right from
the ``permissions.py`` of an app. Views define no role checks of their own
(tests/test_rights.py)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def requires(rule):
    """The view for the users whom ``rule(user)`` admits. A visitor who is not logged
    in is sent to the login page; a logged-in user without the right gets the 403
    page, which names their account and whom to ask (as Django's AccessMixin does).
    A right on one object (``can_review(user, entry)``) is checked where the view has
    fetched the object."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if rule(request.user):
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                raise PermissionDenied
            return redirect_to_login(request.get_full_path())

        return wrapper

    return decorator
