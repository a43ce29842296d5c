from .roles import is_bureau, is_council, is_office_staff


def roles(request):
    """The current user's roles, for navigation; rights are checked in the views."""
    user = request.user
    return {
        "user_is_bureau": is_bureau(user),
        "user_is_council": is_council(user),
        "user_is_office_staff": is_office_staff(user),
    }
