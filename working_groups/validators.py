"""What the system administration types for a municipality: its AGS key, its short
name in the addresses, and the host it may be served under."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from helpers.addresses import reserved_words

# The Amtlicher Gemeindeschlüssel: two digits for the Land (01 Schleswig-Holstein to
# 16 Thüringen), one for the Regierungsbezirk, two for the district, three for the
# municipality.
AGS = re.compile(r"(0[1-9]|1[0-6])\d{6}")

# A DNS name (RFC 1123 labels), without scheme, port or path: what the request's
# Host header names once its port is taken off (helpers/addresses.py compares them).
HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def validate_ags(value):
    if not AGS.fullmatch(value):
        raise ValidationError(
            _(
                "An AGS key (Amtlicher Gemeindeschlüssel) has eight digits, the first two "
                "naming the Land (01 to 16); enter it without spaces."
            ),
            code="invalid_ags",
        )


def validate_slug_not_reserved(value):
    """The first segment of a municipality's addresses (``/<slug>/…``) must not be
    one the site's own pages begin with, which the URL configuration says
    (``reserved_words``, read once per process)."""
    if value.lower() in reserved_words():
        raise ValidationError(
            _(
                "“%(slug)s” begins addresses of the site itself (such as /%(slug)s/); "
                "choose another short name."
            ),
            code="reserved_slug",
            params={"slug": value},
        )


def validate_host(value):
    labels = value.lower().removesuffix(".").split(".")
    if len(value) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels):
        raise ValidationError(
            _(
                "Enter a host name such as integration.example.org: letters, digits, "
                "hyphens and dots, without http://, port or path."
            ),
            code="invalid_host",
        )
