# The report definition, rendering and published versions follow in the report issue.
