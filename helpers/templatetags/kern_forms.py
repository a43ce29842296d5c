"""Form fields as KERN UX form components (kern-form-input, kern-form-check,
kern-fieldset): the widget gets KERN's class for its kind, marked as in error where
the field has errors. Used by templates/_field.html for every form of the site."""

from django import forms, template

register = template.Library()

CHOICE_LISTS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _widget(field):
    return field.field.widget


@register.filter
def kern_kind(field):
    """“check” (one checkbox), “choices” (radio buttons or checkboxes), “select”,
    or “input” (text, number, date, file, text area)."""
    widget = _widget(field)
    if isinstance(widget, CHOICE_LISTS):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "check"
    if isinstance(widget, forms.Select):
        return "select"
    return "input"


def _with_class(attrs, name):
    classes = (attrs.get("class", "") + " " + name).split()
    return {**attrs, "class": " ".join(dict.fromkeys(classes))}


@register.filter
def kern_widget(field):
    """The field's widget rendered with KERN's class for its kind."""
    kind = kern_kind(field)
    error = bool(field.errors)
    if kind == "check":
        name = "kern-form-check__checkbox" + (" kern-form-check__checkbox--error" if error else "")
    elif kind == "select":
        name = "kern-form-input__select" + (" kern-form-input__select--error" if error else "")
    else:
        name = "kern-form-input__input" + (" kern-form-input__input--error" if error else "")
    return field.as_widget(attrs=_with_class(_widget(field).attrs, name))


@register.filter
def kern_choices(field):
    """The radio buttons or checkboxes of a choice list, each with KERN's class."""
    widget = _widget(field)
    kind = "checkbox" if isinstance(widget, forms.CheckboxSelectMultiple) else "radio"
    name = f"kern-form-check__{kind}" + (f" kern-form-check__{kind}--error" if field.errors else "")
    widget.attrs = _with_class(widget.attrs, name)
    return field.subwidgets
