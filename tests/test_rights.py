"""Rights are decided in each app's permissions.py and views ask for them in one way,
``@requires(right)`` (helpers/decorators.py); the main navigation offers
a page exactly when its view's right admits the user."""

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "helpers", "measures", "reports", "working_groups"]
THE_DECORATOR = ROOT / "helpers" / "decorators.py"
# What a hand-written role check refuses with.
REFUSALS = {"PermissionDenied", "redirect_to_login", "login_required", "user_passes_test"}


def _names(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _own_access_decorators(path):
    """Functions that wrap a view in a function of their own which refuses."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for inner in node.body:
            if isinstance(inner, ast.FunctionDef) and _names(inner) & REFUSALS:
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"


def test_no_module_writes_its_own_role_check_decorator():
    found = [
        place
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path != THE_DECORATOR
        for place in _own_access_decorators(path)
    ]
    assert found == [], "use helpers.decorators.requires with a right instead"


def test_the_check_finds_a_hand_written_decorator(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "def _bureau_only(view):\n"
        "    @login_required\n"
        "    @wraps(view)\n"
        "    def wrapper(request, *args, **kwargs):\n"
        "        if not is_bureau(request.user):\n"
        "            raise PermissionDenied\n"
        "        return view(request, *args, **kwargs)\n"
        "    return wrapper\n"
    )
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert list(_own_access_decorators(module)) == ["views.py:1 _bureau_only"]
    finally:
        ROOT = root


def test_a_visitor_goes_to_the_login_and_a_user_without_the_right_gets_403(client, db):
    page = reverse("measures:review_queue")
    response = client.get(page)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={page}"
    client.force_login(UserFactory())
    response = client.get(page)
    assert response.status_code == 403
    assert "Zugriff verweigert" in response.content.decode()


@pytest.fixture
def everyone(bureau_user, council_member, office_staff, admin_user):
    return {
        "bureau": bureau_user,
        "council": council_member,
        "office_staff": office_staff,
        "admin": admin_user,
        "without_role": UserFactory(username="ohne-rolle"),
    }


def _navigation(client):
    response = client.get(reverse("measures:home"))
    return {item["url"] for item in response.context["main_navigation"]}


@pytest.mark.parametrize("who", ["bureau", "council", "office_staff", "admin", "without_role"])
def test_the_navigation_offers_exactly_the_pages_that_open(client, everyone, who):
    client.force_login(everyone["admin"])
    every_page = _navigation(client)
    client.force_login(everyone[who])
    offered = _navigation(client)
    assert offered <= every_page
    for url in sorted(every_page):
        expected = 200 if url in offered else 403
        assert client.get(url).status_code == expected, url
