"""English left in a German page: every English source string of the German catalogue
whose translation differs (an interface string that was not translated), and common
English interface words, looked for in the text a person sees or hears (visible text,
accessible names, titles, placeholders, button values) of a page served in German.

Robust against data and proper names: an English string counts only where it stands
as a whole phrase with the same letter case; catalogue strings are split at their
placeholders and markup, and a fragment is looked for only if it has two words or
more, or is one word that is not also German; text in another language (lang="en",
the language switch), code and the contents of text fields are left out."""

import re
from functools import cache

from ..catalogues import GERMAN as CATALOGUE
from ..catalogues import entries

# English interface words that should never stand in a German page.
COMMON_ENGLISH = [
    "Submit",
    "Save",
    "Cancel",
    "Search",
    "Next",
    "Previous",
    "Back",
    "Log in",
    "Log out",
    "Login",
    "Logout",
    "Password",
    "Username",
    "Select all",
    "Edit",
    "Download",
    "Upload",
    "Delete",
    "Show",
    "Hide",
    "Close",
    "Settings",
    "Help",
    "Loading",
    "Not Found",
    "Forbidden",
    "Field Of Action",
    "Is Public",
]

# Single English words that are German words as well, or stand in the data (names of
# programmes, places, projects): not evidence of an untranslated string on their own.
ALSO_GERMAN = {
    "Art",
    "Code",
    "Export",
    "Format",
    "Import",
    "Internet",
    "Kind",
    "Material",
    "Note",
    "Online",
    "Plan",
    "Region",
    "Service",
    "Start",
    "Team",
    "Version",
    "Workshop",
    "Status",
    "Name",
    "Position",
    "Sport",
    "Integration",
    "Migration",
    "Person",
    "Thema",
    "Ende",
    "Hospital",
    "Chat",
    "Partner",
    "Details",
    "Link",
    "Links",
    "Konzept",
    "Rolle",
}

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|\n")


@cache
def english_phrases():
    translations = set()
    sources = []
    for entry in entries(CATALOGUE):
        translations.update(entry.strings)
        for source in (entry.msgid, entry.plural):
            if source and source not in entry.strings:
                sources.append(source)
    german_words = {w for text in translations for w in re.findall(r"\w+", text)}
    phrases = set(COMMON_ENGLISH)
    for source in sources:
        for fragment in PLACEHOLDER.split(source):
            fragment = " ".join(fragment.split()).strip(" .,:;!?–-—()[]“”\"'/·")
            words = fragment.split()
            if len(words) >= 2 and len(fragment) >= 8:
                if fragment not in translations:
                    phrases.add(fragment)
            elif (
                len(words) == 1
                and len(fragment) >= 4
                and fragment.isalpha()
                and fragment not in ALSO_GERMAN
                and fragment not in german_words
            ):
                phrases.add(fragment)
    return sorted(phrases, key=len, reverse=True)


SEEN_TEXT = """() => {
  const skip = (el) => el.closest(
    'script, style, noscript, code, pre, textarea, [hidden], [aria-hidden="true"], '
    + '[lang]:not([lang^="de"])'
  );
  const unseen = (el) => el.checkVisibility && !el.checkVisibility()
    && !el.closest('.visually-hidden, .kern-sr-only');
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || skip(el)) continue;
    if (unseen(el)) continue;
    texts.push(walker.currentNode.textContent);
  }
  const named = '[aria-label], [title], [placeholder], [alt], [data-label], '
    + 'input[type=submit], input[type=button]';
  for (const el of document.querySelectorAll(named)) {
    if (skip(el)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'data-label']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
    if (el.matches('input[type=submit], input[type=button]')) texts.push(el.value);
  }
  return texts.map((t) => t.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


def english_left(page):
    """The English phrases on the page (empty for a page not served in German)."""
    if not page.evaluate("document.documentElement.lang").startswith("de"):
        return []
    texts = page.evaluate(SEEN_TEXT)
    found = set()
    for text in texts:
        for phrase in english_phrases():
            if phrase in text and re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text):
                found.add(phrase)
    # A phrase inside a longer one found is not a second finding.
    return sorted(p for p in found if not any(p != q and p in q for q in found))
