"""Form helpers shared by the apps."""


class AccessibleErrorsMixin:
    """Links each field's error message to its input (aria-describedby), so a screen
    reader announces the error with the field; Django marks the input aria-invalid."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            ids = [f"{bound.auto_id}_error"]
            if self.fields[name].help_text:
                ids.append(f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)
