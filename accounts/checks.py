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
