"""Posting an admin change page back as a browser would."""


def _posted(value):
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return "" if value is None else str(value)


def change_form_data(response, **changes):
    """The data a browser posts from the admin change page ``response`` (its form,
    its inlines and their management forms, as the page showed them), with
    ``changes`` applied to the main form's fields."""
    main = response.context["adminform"].form
    forms = [main]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name in form.fields:
            value = _posted(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    for name, value in changes.items():
        data[main.add_prefix(name)] = value
    return data
