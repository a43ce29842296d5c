from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def bureau_contact_configured(app_configs, **kwargs):
    """The login page, the invitation mails and the expired-link page name the bureau
    as the contact for access; without an address people are left asking no one."""
    if settings.BUREAU_CONTACT.get("email"):
        return []
    return [
        checks.Warning(
            "BUREAU_CONTACT_EMAIL is not set: the login page and the account e-mails "
            "name no address to ask for access.",
            hint="Set BUREAU_CONTACT_EMAIL (and BUREAU_CONTACT_NAME, BUREAU_CONTACT_PHONE).",
            id="accounts.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def site_url_configured(app_configs, **kwargs):
    """The scheduled reminders are caused by no request, so their links need the
    site's address from the settings."""
    if settings.SITE_URL.startswith(("https://", "http://")):
        return []
    return [
        checks.Warning(
            "SITE_URL is not set: the links in the scheduled reminder e-mails lead nowhere.",
            hint="Set SITE_URL to the scheme and host people use, e.g. "
            "https://integration.example.org.",
            id="accounts.W002",
        )
    ]
